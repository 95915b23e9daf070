#include "livekv/metrics/atomic_histogram.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace livekv::metrics {
namespace {

TEST(metrics_atomic_histogram, buckets_are_inclusive_upper_bounds_and_cumulative) {
  atomic_histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 50.0, -1.0}) h.observe(v);
  const auto s = h.collect().histogram;
  ASSERT_EQ(s.bucket.size(), 4u);
  EXPECT_EQ(s.bucket[0].upper_bound, 0.1);
  EXPECT_EQ(s.bucket[0].cumulative_count, 3u);  // -1, 0.05, 0.1 (le is inclusive)
  EXPECT_EQ(s.bucket[1].cumulative_count, 5u);  // + 0.5, 1.0
  EXPECT_EQ(s.bucket[2].cumulative_count, 6u);  // + 5.0
  EXPECT_TRUE(std::isinf(s.bucket[3].upper_bound));
  EXPECT_EQ(s.bucket[3].cumulative_count, 7u);  // + 50.0
  EXPECT_EQ(s.sample_count, 7u);
  EXPECT_DOUBLE_EQ(s.sample_sum, 55.65);
}

TEST(metrics_atomic_histogram, a_new_histogram_has_every_bucket_at_zero) {
  atomic_histogram h({1, 2});
  const auto s = h.collect();
  EXPECT_TRUE(s.label.empty());
  ASSERT_EQ(s.histogram.bucket.size(), 3u);
  for (const auto& b : s.histogram.bucket) EXPECT_EQ(b.cumulative_count, 0u);
  EXPECT_EQ(s.histogram.sample_count, 0u);
  EXPECT_EQ(s.histogram.sample_sum, 0);
}

TEST(metrics_atomic_histogram, nan_observation_counts_only_in_the_inf_bucket) {
  atomic_histogram h({1});
  h.observe(std::numeric_limits<double>::quiet_NaN());
  const auto s = h.collect().histogram;
  EXPECT_EQ(s.bucket[0].cumulative_count, 0u);
  EXPECT_EQ(s.bucket[1].cumulative_count, 1u);
  EXPECT_TRUE(std::isnan(s.sample_sum));
}

TEST(metrics_atomic_histogram, concurrent_observations_sum_exactly_and_scrapes_stay_consistent) {
  atomic_histogram h({1, 2});
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (int i = 0; i < per_thread; ++i) h.observe(static_cast<double>((i + t) % 3));  // exact in the sum
    });
  }
  // A concurrent scrape must be race-free too (TSan) and see consistent buckets.
  std::thread scraper([&] {
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    for (int i = 0; i < 50; ++i) {
      const auto s = h.collect().histogram;
      EXPECT_EQ(s.bucket.back().cumulative_count, s.sample_count);
      EXPECT_LE(s.bucket[0].cumulative_count, s.bucket[1].cumulative_count);
    }
  });
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  scraper.join();

  const auto s = h.collect().histogram;
  EXPECT_EQ(s.sample_count, std::uint64_t{threads} * per_thread);
  double expected_sum = 0;
  for (int t = 0; t < threads; ++t) {
    for (int i = 0; i < per_thread; ++i) expected_sum += (i + t) % 3;
  }
  EXPECT_EQ(s.sample_sum, expected_sum);
}

TEST(metrics_atomic_histogram, exponential_buckets_produce_the_documented_bounds) {
  EXPECT_EQ(exponential_buckets(0.001, 10, 3), (std::vector<double>{0.001, 0.001 * 10, 0.001 * 100}));
  EXPECT_TRUE(exponential_buckets(0, 2, 3).empty());
  EXPECT_TRUE(exponential_buckets(1, 1, 3).empty());
  EXPECT_TRUE(exponential_buckets(std::numeric_limits<double>::infinity(), 2, 3).empty());
  const auto latency = exponential_buckets(0.00005, 2, 18);
  ASSERT_EQ(latency.size(), 18u);
  for (std::size_t i = 1; i < latency.size(); ++i) EXPECT_LT(latency[i - 1], latency[i]);
}

}  // namespace
}  // namespace livekv::metrics
