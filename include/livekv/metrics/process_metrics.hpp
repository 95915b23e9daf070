#pragma once
// The standard process_* metrics of the Prometheus client guidelines
// (https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics), read from
// /proc at scrape time. Linux only: where a file cannot be read or parsed, the affected samples
// are left out of that scrape (never reported as 0).
#include <cstdint>
#include <optional>
#include <string_view>

#include "livekv/metrics/registry.hpp"
#include "livekv/status.hpp"

namespace livekv::metrics {

// Registers, as scrape-time callbacks:
//   process_cpu_seconds_total      counter  user + system CPU time     /proc/self/stat
//   process_resident_memory_bytes  gauge    resident set size          /proc/self/stat
//   process_virtual_memory_bytes   gauge    virtual memory size        /proc/self/stat
//   process_start_time_seconds     gauge    start, Unix time           /proc/self/stat + /proc/stat
//   process_open_fds               gauge    open descriptors           /proc/self/fd
//   process_max_fds                gauge    soft RLIMIT_NOFILE         /proc/self/limits
//                                           (+Inf when unlimited)
// The callbacks capture nothing that can dangle. Errors: as registry::add_callback_gauge (a
// second call fails because the names are taken; the ones registered before the failure stay).
status register_process_metrics(registry& reg);

// The parsers behind the callbacks, exposed so that tests can feed them fixed text.

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
