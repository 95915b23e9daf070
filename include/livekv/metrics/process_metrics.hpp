#pragma once
// The standard process_* metrics of the Prometheus client guidelines
// (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics), read from
// /proc at scrape time. Linux only: where a file cannot be read or parsed, the affected samples
// are left out of that scrape (never reported as 0).
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace livekv::metrics {

// This process's CPU time and memory from one read of /proc/self/stat, in base units. The one
// source of both process_resident_memory_bytes and /status's resident_memory_bytes.
struct process_usage {
  double cpu_seconds = 0;     // user + system
  double resident_bytes = 0;  // resident set size
  double virtual_bytes = 0;
};

// nullopt where /proc/self/stat cannot be read or parsed (or sysconf cannot give its units).
std::optional<process_usage> read_process_usage();

// The collector: each scrape reads each file below once.
//   process_cpu_seconds_total      counter  user + system CPU time     /proc/self/stat
//   process_resident_memory_bytes  gauge    resident set size          /proc/self/stat
//   process_virtual_memory_bytes   gauge    virtual memory size        /proc/self/stat
//   process_start_time_seconds     gauge    start, Unix time           /proc/self/stat + /proc/stat
//   process_open_fds               gauge    open descriptors           /proc/self/fd
//   process_max_fds                gauge    soft RLIMIT_NOFILE         /proc/self/limits
//                                           (+Inf when unlimited)
// Thread-safe: Collect() keeps no state, so overlapping scrapes are fine.
class process_collector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

// The parsers behind the collector, exposed so that tests can feed them fixed text.

// The fields of /proc/<pid>/stat (proc(5)) that the metrics use.
struct process_stat {
  std::uint64_t utime_ticks = 0;           // field 14, clock ticks
  std::uint64_t stime_ticks = 0;           // field 15, clock ticks
  std::uint64_t start_time_ticks = 0;      // field 22, clock ticks after boot
  std::uint64_t virtual_memory_bytes = 0;  // field 23 (vsize)
  std::uint64_t resident_pages = 0;        // field 24 (rss), pages
};

// Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses, so fields
// are counted from the last ')'. nullopt if any needed field is missing or not a number.
std::optional<process_stat> parse_process_stat(std::string_view text);

// The "btime" line of /proc/stat: boot time, seconds since the Unix epoch.
std::optional<double> parse_boot_time_seconds(std::string_view system_stat_text);

// The soft limit of the "Max open files" line of /proc/<pid>/limits; +Inf for "unlimited".
std::optional<double> parse_max_open_files(std::string_view limits_text);

}  // namespace livekv::metrics
