#include "livekv/handlers/metrics_handler.hpp"

#include "livekv/metrics/text_format.hpp"

namespace livekv::handlers {

void metrics_handler::register_routes(http::router& r) {
  r.exact(http::verb::get, "/metrics", [this](http::request_context& c) { return scrape(c); });
}

http::response metrics_handler::scrape(http::request_context& ctx) {
  const auto families = reg_.collect();
  http::response res{http::status::ok, ctx.req.version()};
  res.set(http::field::content_type, metrics::text_content_type);
  metrics::write_text(families, res.body().text);
  return res;
}

}  // namespace livekv::handlers
