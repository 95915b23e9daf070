// The HTTP layer's request counters and latency histograms, read through Collect() as a scrape
// reads them.
#include "livekv/http/http_metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace livekv::http {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using labels = std::vector<ClientMetric::Label>;

class http_metrics_test : public ::testing::Test {
 protected:
  http_metrics_test() {
    const auto ok = [](request_context& c) { return response{status_code::ok, c.req.version()}; };
    routes_.exact(verb::get, "/status", http::access::read, ok);
    routes_.prefix(verb::get, "/v1/kv/", http::access::read, ok);
    routes_.prefix(verb::put, "/v1/kv/", http::access::read, ok);
  }

  const MetricFamily& family(const std::vector<MetricFamily>& all, const std::string& name) {
    for (const auto& f : all)
      if (f.name == name) return f;
    ADD_FAILURE() << name << " missing";
    static const MetricFamily none;
    return none;
  }

  const ClientMetric* find(const MetricFamily& f, const labels& l) {
    for (const auto& m : f.metric)
      if (m.label == l) return &m;
    return nullptr;
  }

  std::size_t route(verb v, const std::string& path) { return routes_.find(v, path).index; }

  router routes_;
};

TEST_F(http_metrics_test, requests_are_counted_by_route_method_and_code_with_labels_in_that_order) {
  http_metrics m(routes_);
  m.record(route(verb::put, "/v1/kv/a"), verb::put, 201, 0.001, 10, 20);
  m.record(route(verb::put, "/v1/kv/b"), verb::put, 201, 0.001, 10, 20);
  m.record(route(verb::get, "/v1/kv/a"), verb::get, 404, 0.001, 10, 20);
  m.record(router::no_route, verb::get, 404, 0.001, 10, 20);
  m.record(route(verb::get, "/status"), verb::patch, 499, 0.001, 10, 20);  // neither cached method nor code

  const auto all = m.Collect();
  const auto& requests = family(all, "livekv_http_requests_total");
  EXPECT_EQ(requests.type, prometheus::MetricType::Counter);
  EXPECT_EQ(requests.help, "HTTP requests answered, by route, method and status code.");
  ASSERT_EQ(requests.metric.size(), 4u);  // only what was served
  const auto* puts = find(requests, {{"route", "/v1/kv/{key}"}, {"method", "PUT"}, {"code", "201"}});
  ASSERT_NE(puts, nullptr);
  EXPECT_EQ(puts->counter.value, 2);
  const auto* misses = find(requests, {{"route", "/v1/kv/{key}"}, {"method", "GET"}, {"code", "404"}});
  ASSERT_NE(misses, nullptr);
  EXPECT_EQ(misses->counter.value, 1);
  const auto* unrouted = find(requests, {{"route", "none"}, {"method", "GET"}, {"code", "404"}});
  ASSERT_NE(unrouted, nullptr);
  EXPECT_EQ(unrouted->counter.value, 1);
  const auto* odd = find(requests, {{"route", "/status"}, {"method", "other"}, {"code", "499"}});
  ASSERT_NE(odd, nullptr);
  EXPECT_EQ(odd->counter.value, 1);

  EXPECT_EQ(family(all, "livekv_http_received_bytes_total").metric.at(0).counter.value, 50);
  EXPECT_EQ(family(all, "livekv_http_sent_bytes_total").metric.at(0).counter.value, 100);
}

TEST_F(http_metrics_test, every_route_pattern_has_one_latency_histogram_from_the_start) {
  http_metrics m(routes_);
  const auto before = m.Collect();
  EXPECT_TRUE(family(before, "livekv_http_requests_total").metric.empty());
  const auto& empty = family(before, "livekv_http_request_duration_seconds");
  EXPECT_EQ(empty.type, prometheus::MetricType::Histogram);
  // GET and PUT /v1/kv/{key} are two routes but one pattern: one series, not two with one name.
  ASSERT_EQ(empty.metric.size(), 3u);
  EXPECT_NE(find(empty, {{"route", "/status"}}), nullptr);
  EXPECT_NE(find(empty, {{"route", "/v1/kv/{key}"}}), nullptr);
  EXPECT_NE(find(empty, {{"route", "none"}}), nullptr);
  for (const auto& h : empty.metric) {
    EXPECT_EQ(h.histogram.sample_count, 0u);
    EXPECT_EQ(h.histogram.bucket.size(), 19u);  // 18 bounds from 50 µs, then +Inf
  }

  m.record(route(verb::get, "/v1/kv/a"), verb::get, 200, 0.0001, 0, 0);
  m.record(route(verb::put, "/v1/kv/a"), verb::put, 201, 0.5, 0, 0);
  const auto after = m.Collect();
  const auto* kv = find(family(after, "livekv_http_request_duration_seconds"), {{"route", "/v1/kv/{key}"}});
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->histogram.sample_count, 2u);
  EXPECT_DOUBLE_EQ(kv->histogram.sample_sum, 0.5001);
  EXPECT_EQ(kv->histogram.bucket[1].upper_bound, 0.0001);
  EXPECT_EQ(kv->histogram.bucket[1].cumulative_count, 1u);
}

TEST_F(http_metrics_test, concurrent_requests_are_all_counted) {
  http_metrics m(routes_);
  const std::size_t put = route(verb::put, "/v1/kv/a");
  constexpr int threads = 4;
  constexpr int per_thread = 20000;
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      // Every thread's first request races to create the same child.
      for (int i = 0; i < per_thread; ++i) m.record(put, verb::put, i % 2 ? 201 : 200, 0.001, 1, 2);
    });
  }
  std::thread scraper([&] {
    while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
    for (int i = 0; i < 50; ++i) m.Collect();  // race-free under TSan
  });
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  scraper.join();

  const auto all = m.Collect();
  const auto& requests = family(all, "livekv_http_requests_total");
  ASSERT_EQ(requests.metric.size(), 2u);
  for (const auto& c : requests.metric) EXPECT_EQ(c.counter.value, threads * per_thread / 2);
  const auto* kv = find(family(all, "livekv_http_request_duration_seconds"), {{"route", "/v1/kv/{key}"}});
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->histogram.sample_count, std::uint64_t{threads} * per_thread);
  EXPECT_EQ(family(all, "livekv_http_received_bytes_total").metric.at(0).counter.value, threads * per_thread);
  EXPECT_EQ(family(all, "livekv_http_sent_bytes_total").metric.at(0).counter.value, 2 * threads * per_thread);
}

}  // namespace
}  // namespace livekv::http
