#pragma once
#include "livekv/http/router.hpp"
#include "livekv/metrics/registry.hpp"

namespace livekv::handlers {

// GET /metrics: the registry in the Prometheus text format 0.0.4. The registry must outlive it.
class metrics_handler {
 public:
  explicit metrics_handler(const metrics::registry& reg) : reg_(reg) {}
  void register_routes(http::router& r);
  http::response scrape(http::request_context& ctx);

 private:
  const metrics::registry& reg_;
};

}  // namespace livekv::handlers
