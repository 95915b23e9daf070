#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "livekv/metrics/process_metrics.hpp"

namespace livekv::metrics {
namespace {

// A /proc/<pid>/stat line whose command name holds spaces and a ')' (fields 14, 15, 22, 23, 24
// are 111, 222, 5555, 7777777, 333).
constexpr std::string_view tricky_stat =
    "4242 (my) weird cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 111 222 0 0 20 0 3 0 5555 "
    "7777777 333 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(process_metrics, stat_fields_are_counted_from_the_last_parenthesis) {
  auto s = parse_process_stat(tricky_stat);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->utime_ticks, 111u);
  EXPECT_EQ(s->stime_ticks, 222u);
  EXPECT_EQ(s->start_time_ticks, 5555u);
  EXPECT_EQ(s->virtual_memory_bytes, 7777777u);
  EXPECT_EQ(s->resident_pages, 333u);
}

TEST(process_metrics, truncated_or_garbled_stat_is_rejected) {
  EXPECT_FALSE(parse_process_stat(""));
  EXPECT_FALSE(parse_process_stat("4242 (cmd) S 1 2 3"));
  EXPECT_FALSE(parse_process_stat("no parenthesis at all"));
  std::string garbled(tricky_stat);
  garbled.replace(garbled.find(" 111 "), 5, " 1x1 ");
  EXPECT_FALSE(parse_process_stat(garbled));
}

TEST(process_metrics, boot_time_comes_from_the_btime_line) {
  EXPECT_EQ(parse_boot_time_seconds("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"),
            1700000000.0);
  EXPECT_FALSE(parse_boot_time_seconds("cpu  1 2 3\n"));
  EXPECT_FALSE(parse_boot_time_seconds("xbtime 5\n"));
}

TEST(process_metrics, max_fds_is_the_soft_limit_or_inf_when_unlimited) {
  constexpr std::string_view limits =
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"
      "Max open files            1024                 524288               files     \n";
  EXPECT_EQ(parse_max_open_files(limits), 1024.0);
  auto unlimited = parse_max_open_files(
      "Max open files            unlimited            unlimited            files     \n");
  ASSERT_TRUE(unlimited);
  EXPECT_TRUE(std::isinf(*unlimited));
  EXPECT_FALSE(parse_max_open_files("Max cpu time unlimited unlimited seconds\n"));
}

double value_of(const std::vector<prometheus::MetricFamily>& all, std::string_view name) {
  for (const auto& f : all) {
    if (f.name != name || f.metric.empty()) continue;
    return f.type == prometheus::MetricType::Counter ? f.metric[0].counter.value : f.metric[0].gauge.value;
  }
  ADD_FAILURE() << name << " missing";
  return std::nan("");
}

TEST(process_metrics, live_values_are_plausible) {
  const auto all = process_collector().Collect();
  ASSERT_EQ(all.size(), 6u);

  EXPECT_GT(value_of(all, "process_resident_memory_bytes"), 0);
  EXPECT_GE(value_of(all, "process_virtual_memory_bytes"),
            value_of(all, "process_resident_memory_bytes"));
  EXPECT_GE(value_of(all, "process_cpu_seconds_total"), 0);
  EXPECT_GE(value_of(all, "process_open_fds"), 3);  // stdin, stdout, stderr
  EXPECT_GE(value_of(all, "process_max_fds"), value_of(all, "process_open_fds"));

  const double now = std::chrono::duration<double>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  const double start = value_of(all, "process_start_time_seconds");
  EXPECT_LE(start, now + 1);  // clock ticks round; allow a second
  EXPECT_GT(start, now - 86400);

  for (const auto& f : all) {
    const bool is_counter = f.name == "process_cpu_seconds_total";
    EXPECT_EQ(f.type, is_counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge) << f.name;
    EXPECT_FALSE(f.help.empty()) << f.name;
    ASSERT_EQ(f.metric.size(), 1u) << f.name;
    EXPECT_TRUE(f.metric[0].label.empty()) << f.name;
  }
}

TEST(process_metrics, usage_is_read_in_bytes_and_seconds) {
  // The reader behind both /status's resident_memory_bytes and process_resident_memory_bytes.
  const auto usage = read_process_usage();
  ASSERT_TRUE(usage);
  EXPECT_GT(usage->resident_bytes, 0);
  EXPECT_GE(usage->virtual_bytes, usage->resident_bytes);
  EXPECT_GE(usage->cpu_seconds, 0);
}

}  // namespace
}  // namespace livekv::metrics
