#pragma once
#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "livekv/http/router.hpp"
#include "livekv/metrics/registry.hpp"
#include "livekv/status.hpp"

namespace livekv::http {

// The HTTP layer's metrics: requests by route, method and code; latency by route; bytes in and
// out. Children are resolved once per (route, method, code) and cached in atomic slots, so
// recording a request takes no lock. Thread-safe; lives as long as the registry and the router.
class http_metrics {
 public:
  static result<std::unique_ptr<http_metrics>> make(metrics::registry& reg, const router& routes);

  // `route` is router::match::index, or router::no_route for requests no route served.
  void record(std::size_t route, verb method, unsigned code, double seconds, std::uint64_t bytes_in,
              std::uint64_t bytes_out) noexcept;

 private:
  static constexpr std::size_t methods = 6;  // GET HEAD PUT DELETE POST other
  static constexpr std::size_t codes = 20;   // the statuses livekv answers with, then "other"

  struct per_route {
    std::string label;
    metrics::histogram* duration = nullptr;
    std::array<std::atomic<metrics::counter*>, methods * codes> requests{};
  };

  http_metrics() = default;
  metrics::counter& requests_for(per_route& r, verb method, unsigned code);

  metrics::counter_family<3>* requests_ = nullptr;
  metrics::counter* bytes_in_ = nullptr;
  metrics::counter* bytes_out_ = nullptr;
  std::vector<std::unique_ptr<per_route>> routes_;  // by route index; the last is "none"
};

}  // namespace livekv::http
