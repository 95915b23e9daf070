#pragma once
#include <prometheus/collectable.h>

#include <string_view>
#include <vector>

#include "livekv/http/router.hpp"

namespace livekv::handlers {

// GET /metrics: every family its sources hold — prometheus-cpp's Registry and our collectors —
// in the Prometheus text format 0.0.4, as prometheus::TextSerializer writes it. Families come
// out ordered by name and their samples by labels, so two scrapes compare line by line; families
// without samples are left out.
class metrics_handler {
 public:
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

  // Adds a source. Each must outlive the handler. Call while setting up, before the server
  // serves: the list itself is not synchronized with scrapes (each source's Collect() is).
  void add(const prometheus::Collectable& source) { sources_.push_back(&source); }

  // `needs`: open with --metrics-public (a scraper without a token), else admin.
  void register_routes(http::router& r, http::access needs);
  http::response scrape(http::request_context& ctx);

 private:
  std::vector<const prometheus::Collectable*> sources_;
};

}  // namespace livekv::handlers
