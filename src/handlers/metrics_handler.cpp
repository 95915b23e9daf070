#include "livekv/handlers/metrics_handler.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <iterator>

namespace livekv::handlers {

void metrics_handler::register_routes(http::router& r, http::access needs) {
  r.exact(http::verb::get, "/metrics", needs, [this](http::request_context& c) { return scrape(c); });
}

http::response metrics_handler::scrape(http::request_context& ctx) {
  std::vector<prometheus::MetricFamily> families;
  for (const prometheus::Collectable* source : sources_) {
    auto more = source->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  std::erase_if(families, [](const prometheus::MetricFamily& f) { return f.metric.empty(); });
  // prometheus-cpp lists a Registry's families by type, then registration, and a family's samples
  // in hash order; sorted, the output is stable from scrape to scrape.
  std::sort(families.begin(), families.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& f : families) {
    std::sort(f.metric.begin(), f.metric.end(), [](const auto& a, const auto& b) { return a.label < b.label; });
  }
  http::response res{http::status_code::ok, ctx.req.version()};
  res.set(http::field::content_type, content_type);
  // The serializer writes numbers in the classic locale whatever the global one is ("0.5", never
  // "0,5").
  res.body().text = prometheus::TextSerializer().Serialize(families);
  return res;
}

}  // namespace livekv::handlers
