#include "livekv/metrics/process_metrics.hpp"

#include <dirent.h>
#include <unistd.h>

#include <limits>
#include <string>

#include "livekv/io/append_file.hpp"
#include "livekv/metrics/snapshot.hpp"
#include "livekv/util/parse_uint.hpp"

namespace livekv::metrics {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

// Splits off the first whitespace-delimited token of `s`.
std::string_view next_token(std::string_view& s) {
  s = skip_spaces(s);
  std::size_t n = 0;
  while (n < s.size() && !is_space(s[n])) ++n;
  std::string_view token = s.substr(0, n);
  s.remove_prefix(n);
  return token;
}

// The line of `text` that starts with `prefix`, without the prefix.
std::optional<std::string_view> line_after(std::string_view text, std::string_view prefix) {
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.starts_with(prefix)) return line.substr(prefix.size());
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return std::nullopt;
}

// Clock ticks and page size, for /proc's units. 0 where sysconf cannot tell.
struct system_units {
  double ticks_per_second = 0;
  double page_bytes = 0;
};

const system_units& units() {
  static const system_units u = [] {
    system_units s;
    if (const long t = ::sysconf(_SC_CLK_TCK); t > 0) s.ticks_per_second = static_cast<double>(t);
    if (const long p = ::sysconf(_SC_PAGESIZE); p > 0) s.page_bytes = static_cast<double>(p);
    return s;
  }();
  return u;
}

std::optional<process_stat> read_process_stat() {
  auto text = io::read_whole_file("/proc/self/stat");
  if (!text) return std::nullopt;
  return parse_process_stat(*text);
}

std::optional<double> count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  // The count includes the descriptor opendir itself holds, as the reference clients' does.
  double n = 0;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name != "." && name != "..") ++n;
  }
  ::closedir(dir);
  return n;
}

std::optional<double> read_max_open_files() {
  auto text = io::read_whole_file("/proc/self/limits");
  if (!text) return std::nullopt;
  return parse_max_open_files(*text);
}

// Seconds since the Unix epoch when the process started: boot time plus its start in ticks.
// /proc/stat is read at each scrape, not cached: boot time moves when the wall clock is stepped.
std::optional<double> start_time_seconds(const process_stat& s) {
  auto system = io::read_whole_file("/proc/stat");
  if (!system || units().ticks_per_second == 0) return std::nullopt;
  auto boot = parse_boot_time_seconds(*system);
  if (!boot) return std::nullopt;
  return *boot + static_cast<double>(s.start_time_ticks) / units().ticks_per_second;
}

std::optional<process_usage> usage_of(const process_stat& s) {
  const system_units& u = units();
  if (u.ticks_per_second == 0 || u.page_bytes == 0) return std::nullopt;
  return process_usage{static_cast<double>(s.utime_ticks + s.stime_ticks) / u.ticks_per_second,
                       static_cast<double>(s.resident_pages) * u.page_bytes,
                       static_cast<double>(s.virtual_memory_bytes)};
}

}  // namespace

std::optional<process_stat> parse_process_stat(std::string_view text) {
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // After the command name come fields 3 (state), 4, ...; collect up to field 24.
  constexpr int first_field = 3;
  constexpr int last_field = 24;
  std::string_view fields[last_field + 1];
  for (int i = first_field; i <= last_field; ++i) {
    fields[i] = next_token(rest);
    if (fields[i].empty()) return std::nullopt;
  }
  auto utime = util::parse_uint<std::uint64_t>(fields[14]);
  auto stime = util::parse_uint<std::uint64_t>(fields[15]);
  auto start = util::parse_uint<std::uint64_t>(fields[22]);
  auto vsize = util::parse_uint<std::uint64_t>(fields[23]);
  auto rss = util::parse_uint<std::uint64_t>(fields[24]);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  return process_stat{*utime, *stime, *start, *vsize, *rss};
}

std::optional<double> parse_boot_time_seconds(std::string_view system_stat_text) {
  auto rest = line_after(system_stat_text, "btime ");
  if (!rest) return std::nullopt;
  auto v = util::parse_uint<std::uint64_t>(next_token(*rest));
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

std::optional<double> parse_max_open_files(std::string_view limits_text) {
  auto rest = line_after(limits_text, "Max open files");
  if (!rest) return std::nullopt;
  const std::string_view soft = next_token(*rest);
  if (soft == "unlimited") return std::numeric_limits<double>::infinity();
  auto v = util::parse_uint<std::uint64_t>(soft);
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

std::optional<process_usage> read_process_usage() {
  const auto s = read_process_stat();
  if (!s) return std::nullopt;
  return usage_of(*s);
}

std::vector<prometheus::MetricFamily> process_collector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(6);
  const auto stat = read_process_stat();  // once: four of the six metrics come from it
  if (const auto u = stat ? usage_of(*stat) : std::nullopt) {
    out.push_back(make_counter("process_cpu_seconds_total",
                               "User and system CPU time used by the process, in seconds.", u->cpu_seconds));
    out.push_back(make_gauge("process_resident_memory_bytes", "Resident set size of the process, in bytes.",
                             u->resident_bytes));
    out.push_back(make_gauge("process_virtual_memory_bytes", "Virtual memory size of the process, in bytes.",
                             u->virtual_bytes));
  }
  if (const auto start = stat ? start_time_seconds(*stat) : std::nullopt) {
    out.push_back(make_gauge("process_start_time_seconds",
                             "When the process started, in seconds since the Unix epoch.", *start));
  }
  if (const auto n = count_open_fds()) {
    out.push_back(make_gauge("process_open_fds", "Open file descriptors of the process.", *n));
  }
  if (const auto max = read_max_open_files()) {
    out.push_back(make_gauge("process_max_fds",
                             "Limit on open file descriptors of the process (soft RLIMIT_NOFILE).", *max));
  }
  return out;
}

}  // namespace livekv::metrics
