#pragma once
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "livekv/http/router.hpp"
#include "livekv/metrics/atomic_histogram.hpp"
#include "livekv/util/mutex.hpp"

namespace livekv::http {

// The HTTP layer's metrics: requests by route, method and code; latency by route; bytes in and
// out. record() runs on every request, so it counts in atomics and takes no lock (prometheus-cpp
// 1.0's Counter is a compare-and-swap loop on a double and its Histogram takes a mutex); Collect()
// turns the counts into prometheus-cpp's families when /metrics is scraped:
//   livekv_http_requests_total{route,method,code}   counter, one child per combination served
//   livekv_http_request_duration_seconds{route}     histogram, every route from the start
//   livekv_http_received_bytes_total, livekv_http_sent_bytes_total   counters
// Thread-safe. `routes` must be complete (every route registered) and outlive this object.
class http_metrics final : public prometheus::Collectable {
 public:
  explicit http_metrics(const router& routes);

  // `route` is router::match::index, or router::no_route for requests no route served.
  void record(std::size_t route, verb method, unsigned code, double seconds, std::uint64_t bytes_in,
              std::uint64_t bytes_out) noexcept;

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  static constexpr std::size_t methods = 6;  // GET HEAD PUT DELETE POST other
  static constexpr std::size_t codes = 20;   // the statuses livekv answers with, then "other"

  // Each count owns its cache line, so that threads counting different children (other routes,
  // other codes) never write to the same one.
  struct alignas(64) count {
    std::atomic<std::uint64_t> value{0};
  };

  // One per route label: routes that share a pattern (GET, PUT and DELETE /v1/kv/{key}) share it.
  struct per_route {
    per_route(std::size_t i, std::string l);
    std::size_t index;  // in labelled_
    std::string label;
    metrics::atomic_histogram duration;
    // The children of the commonest (method, code) pairs, created on first use (see children_).
    std::array<std::atomic<count*>, methods * codes> requests{};
  };

  // (per_route::index, method index, status code): ordered, so Collect() walks routes in order.
  using child_key = std::tuple<std::size_t, std::size_t, unsigned>;

  count& requests_for(per_route& r, verb method, unsigned code) LIVEKV_EXCLUDES(children_mutex_);

  mutable util::mutex children_mutex_;  // guards children_ (the map; the counts are atomic)
  // Every request child, owned here; per_route::requests caches pointers to the common ones so
  // that a request takes the lock only the first time its combination is seen (or always, for a
  // status code outside the cached list: livekv does not answer with those).
  std::map<child_key, std::unique_ptr<count>> children_ LIVEKV_GUARDED_BY(children_mutex_);
  count bytes_in_;
  count bytes_out_;
  std::vector<std::unique_ptr<per_route>> labelled_;  // one per distinct label, "none" among them
  std::vector<per_route*> routes_;                    // by route index; the last is "none"
};

}  // namespace livekv::http
