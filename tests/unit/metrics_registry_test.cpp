#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "livekv/metrics/registry.hpp"

namespace livekv::metrics {
namespace {

const family_snapshot* find_family(const std::vector<family_snapshot>& all, std::string_view name) {
  for (const auto& f : all) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

TEST(metrics_registry, unlabelled_metrics_exist_at_zero_from_registration) {
  registry reg;
  ASSERT_TRUE(reg.add_counter("livekv_expired_keys_total", "Keys removed by expiry."));
  ASSERT_TRUE(reg.add_gauge("livekv_http_connections", "Open HTTP connections."));
  ASSERT_TRUE(reg.add_histogram("livekv_fsync_duration_seconds", "fsync latency.", {0.001, 0.01}));
  auto all = reg.collect();
  ASSERT_EQ(all.size(), 3u);
  for (const auto& f : all) {
    ASSERT_EQ(f.samples.size(), 1u) << f.name;
    EXPECT_EQ(f.samples[0].value, 0) << f.name;
    EXPECT_EQ(f.samples[0].count, 0u) << f.name;
  }
}

TEST(metrics_registry, labelled_family_exposes_only_children_that_were_looked_up) {
  registry reg;
  auto writes = reg.add_counter("livekv_writes_total", "Writes by operation.", {"op"});
  ASSERT_TRUE(writes);
  EXPECT_TRUE(reg.collect().empty());
  (*writes)->with({"put"});
  auto all = reg.collect();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(all[0].samples.size(), 1u);
  EXPECT_EQ(all[0].samples[0].label_values, std::vector<std::string>{"put"});
}

TEST(metrics_registry, with_returns_the_same_child_at_the_same_address_for_the_same_values) {
  registry reg;
  auto requests = reg.add_counter("livekv_http_requests_total", "HTTP requests.",
                                  {"route", "method", "code"});
  ASSERT_TRUE(requests);
  counter& first = (*requests)->with({"/v1/kv/{key}", "GET", "200"});
  first.inc();
  // Many siblings later (the map rebalances), the cached reference is still the child.
  for (int i = 0; i < 1000; ++i) (*requests)->with({"/r", "GET", std::to_string(i)});
  counter& again = (*requests)->with({std::string("/v1/kv/{key}"), "GET", "200"});
  EXPECT_EQ(&first, &again);
  again.inc(2);
  EXPECT_EQ(first.value(), 3u);
}

TEST(metrics_registry, counters_and_gauges_count_what_they_are_told) {
  registry reg;
  counter& c = **reg.add_counter("livekv_http_bytes_sent_total", "Response bytes written.");
  gauge& g = **reg.add_gauge("livekv_http_connections", "Open HTTP connections.");
  c.inc();
  c.inc(41);
  g.inc();
  g.inc(3);
  g.dec();
  EXPECT_EQ(c.value(), 42u);
  EXPECT_EQ(g.value(), 3);
  g.set(-1.5);
  EXPECT_EQ(g.value(), -1.5);
}

TEST(metrics_registry, concurrent_updates_from_several_threads_sum_exactly) {
  registry reg;
  counter& c = **reg.add_counter("livekv_http_requests_total", "Requests.");
  gauge& g = **reg.add_gauge("livekv_http_connections", "Connections.");
  histogram& h = **reg.add_histogram("livekv_http_request_duration_seconds", "Latency.", {1, 2});
  auto by_op = *reg.add_counter("livekv_writes_total", "Writes.", {"op"});

  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      // Each thread resolves the shared child itself: concurrent first lookups must agree.
      counter& put = by_op->with({"put"});
      for (int i = 0; i < per_thread; ++i) {
        c.inc();
        put.inc(2);
        g.inc();
        g.dec(0.5);
        h.observe(static_cast<double>((i + t) % 3));  // 0, 1, 2: exact in the sum
      }
    });
  }
  // A concurrent scrape must be race-free too (TSan) and see consistent histograms.
  std::thread scraper([&] {
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    for (int i = 0; i < 50; ++i) {
      auto all = reg.collect();
      const auto* f = find_family(all, "livekv_http_request_duration_seconds");
      ASSERT_NE(f, nullptr);
      const sample& s = f->samples.at(0);
      EXPECT_EQ(s.buckets.back().cumulative_count, s.count);
      EXPECT_LE(s.buckets[0].cumulative_count, s.buckets[1].cumulative_count);
    }
  });
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  scraper.join();

  constexpr std::uint64_t total = std::uint64_t{threads} * per_thread;
  EXPECT_EQ(c.value(), total);
  EXPECT_EQ(by_op->with({"put"}).value(), 2 * total);
  EXPECT_EQ(g.value(), 0.5 * static_cast<double>(total));
  EXPECT_EQ(h.count(), total);
  double expected_sum = 0;
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) expected_sum += (i + t) % 3;
  }
  EXPECT_EQ(h.sum(), expected_sum);
}

TEST(metrics_registry, histogram_buckets_are_inclusive_upper_bounds_and_cumulative) {
  registry reg;
  histogram& h = **reg.add_histogram("livekv_expiry_lag_seconds", "Lag.", {0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 50.0, -1.0}) h.observe(v);
  sample s;
  h.collect(s);
  ASSERT_EQ(s.buckets.size(), 4u);
  EXPECT_EQ(s.buckets[0].upper_bound, 0.1);
  EXPECT_EQ(s.buckets[0].cumulative_count, 3u);  // -1, 0.05, 0.1 (le is inclusive)
  EXPECT_EQ(s.buckets[1].cumulative_count, 5u);  // + 0.5, 1.0
  EXPECT_EQ(s.buckets[2].cumulative_count, 6u);  // + 5.0
  EXPECT_TRUE(std::isinf(s.buckets[3].upper_bound));
  EXPECT_EQ(s.buckets[3].cumulative_count, 7u);  // + 50.0
  EXPECT_EQ(s.count, 7u);
  EXPECT_DOUBLE_EQ(s.sum, 55.65);
}

TEST(metrics_registry, nan_observation_counts_only_in_the_inf_bucket) {
  registry reg;
  histogram& h = **reg.add_histogram("livekv_x_seconds", "X.", {1});
  h.observe(std::numeric_limits<double>::quiet_NaN());
  sample s;
  h.collect(s);
  EXPECT_EQ(s.buckets[0].cumulative_count, 0u);
  EXPECT_EQ(s.buckets[1].cumulative_count, 1u);
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(metrics_registry, bucket_bounds_must_be_finite_and_strictly_increasing) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(bucket_bounds::make({}));
  EXPECT_FALSE(bucket_bounds::make({inf}));
  EXPECT_FALSE(bucket_bounds::make({1, 1}));
  EXPECT_FALSE(bucket_bounds::make({2, 1}));
  EXPECT_FALSE(bucket_bounds::make({1, std::numeric_limits<double>::quiet_NaN()}));
  EXPECT_FALSE(bucket_bounds::make({-inf, 1}));
  auto ok = bucket_bounds::make({-1, 0, 1, inf});
  ASSERT_TRUE(ok);
  EXPECT_EQ(std::vector<double>(ok->values().begin(), ok->values().end()),
            (std::vector<double>{-1, 0, 1}));  // the trailing +Inf is implied, not stored
  registry reg;
  EXPECT_FALSE(reg.add_histogram("livekv_bad_seconds", "Bad.", {3, 2}));
  EXPECT_FALSE(reg.add_histogram("livekv_bad_seconds", "Bad.", {"route"}, {}));
  EXPECT_TRUE(reg.add_histogram("livekv_bad_seconds", "Now fine.", {1}));  // nothing was taken
}

TEST(metrics_registry, bucket_helpers_produce_the_documented_bounds) {
  EXPECT_EQ(exponential_buckets(0.001, 10, 3),
            (std::vector<double>{0.001, 0.001 * 10, 0.001 * 100}));
  EXPECT_EQ(linear_buckets(1, 0.5, 3), (std::vector<double>{1, 1.5, 2}));
  EXPECT_TRUE(exponential_buckets(0, 2, 3).empty());
  EXPECT_TRUE(exponential_buckets(1, 1, 3).empty());
  EXPECT_TRUE(linear_buckets(1, 0, 3).empty());
  EXPECT_TRUE(bucket_bounds::make(exponential_buckets(0.0005, 2, 16)));
}

TEST(metrics_registry, names_must_be_valid_and_unique_including_histogram_series) {
  registry reg;
  EXPECT_FALSE(reg.add_counter("", "Help."));
  EXPECT_FALSE(reg.add_counter("9lives_total", "Help."));
  EXPECT_FALSE(reg.add_counter("livekv-requests_total", "Help."));
  EXPECT_FALSE(reg.add_counter("livekv_requests_total", ""));
  EXPECT_TRUE(reg.add_counter("livekv:requests_total", "Colons are allowed in metric names."));

  ASSERT_TRUE(reg.add_histogram("livekv_fsync_seconds", "Help.", {1}));
  EXPECT_FALSE(reg.add_gauge("livekv_fsync_seconds", "Same name."));
  EXPECT_FALSE(reg.add_counter("livekv_fsync_seconds_count", "Collides with the histogram."));
  EXPECT_FALSE(
      reg.add_callback_gauge("livekv_fsync_seconds_bucket", "Collides.", [] { return 1.0; }));
  ASSERT_TRUE(reg.add_gauge("livekv_queue_sum", "A gauge named like a histogram series."));
  EXPECT_FALSE(reg.add_histogram("livekv_queue", "Would expose livekv_queue_sum.", {1}));
}

TEST(metrics_registry, label_names_must_be_valid_unique_and_not_reserved) {
  registry reg;
  EXPECT_FALSE(reg.add_counter("a_total", "Help.", {"route", "route"}));
  EXPECT_FALSE(reg.add_counter("b_total", "Help.", {"__name"}));
  EXPECT_FALSE(reg.add_counter("c_total", "Help.", {"has:colon"}));
  EXPECT_FALSE(reg.add_counter("d_total", "Help.", {"1st"}));
  EXPECT_FALSE(reg.add_counter("e_total", "Help.", {""}));
  EXPECT_FALSE(reg.add_histogram("f_seconds", "Help.", {"le"}, {1}));
  EXPECT_TRUE(reg.add_gauge("g", "le is only reserved on histograms.", {"le"}));
  EXPECT_TRUE(reg.add_counter("h_total", "Help.", {"route", "method", "code"}));
}

TEST(metrics_registry, callback_gauge_is_read_at_each_collect) {
  registry reg;
  std::atomic<int> keys{3};
  ASSERT_TRUE(reg.add_callback_gauge("livekv_keys", "Live keys.",
                                     [&keys] { return static_cast<double>(keys.load()); }));
  EXPECT_EQ(reg.collect().at(0).samples.at(0).value, 3);
  keys = 7;
  EXPECT_EQ(reg.collect().at(0).samples.at(0).value, 7);
  EXPECT_EQ(reg.collect().at(0).type, metric_type::gauge);
}

TEST(metrics_registry, callback_without_a_value_leaves_its_family_out_of_the_scrape) {
  registry reg;
  bool known = false;
  ASSERT_TRUE(reg.add_callback_counter("livekv_unknown_total", "Sometimes unknown.",
                                       [&known]() -> std::optional<double> {
                                         if (!known) return std::nullopt;
                                         return 5.0;
                                       }));
  EXPECT_TRUE(reg.collect().empty());
  known = true;
  auto all = reg.collect();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].type, metric_type::counter);
  EXPECT_EQ(all[0].samples.at(0).value, 5);
  EXPECT_FALSE(reg.add_callback_gauge("livekv_empty", "No callback.", value_callback{}));
}

TEST(metrics_registry, collect_orders_families_by_name_and_children_by_label_values) {
  registry reg;
  auto z = *reg.add_counter("z_total", "Z.", {"a", "b"});
  ASSERT_TRUE(reg.add_gauge("m", "M."));
  ASSERT_TRUE(reg.add_gauge("a", "A."));
  z->with({"y", "1"});
  z->with({"x", "2"});
  z->with({"x", "10"});
  auto all = reg.collect();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "a");
  EXPECT_EQ(all[1].name, "m");
  EXPECT_EQ(all[2].name, "z_total");
  EXPECT_EQ(all[2].label_names, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(all[2].samples.size(), 3u);
  EXPECT_EQ(all[2].samples[0].label_values, (std::vector<std::string>{"x", "10"}));
  EXPECT_EQ(all[2].samples[1].label_values, (std::vector<std::string>{"x", "2"}));
  EXPECT_EQ(all[2].samples[2].label_values, (std::vector<std::string>{"y", "1"}));
}

}  // namespace
}  // namespace livekv::metrics
