#include "livekv/handlers/admin_handlers.hpp"

#include <nlohmann/json.hpp>

#include "livekv/http/json_response.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/version.hpp"

namespace livekv::handlers {

void admin_handlers::register_routes(http::router& r) {
  r.exact(http::verb::get, "/status", [this](http::request_context& c) { return status(c); });
  r.exact(http::verb::get, "/healthz", [this](http::request_context& c) { return healthz(c); });
  r.exact(http::verb::get, "/readyz", [this](http::request_context& c) { return readyz(c); });
}

http::response admin_handlers::status(http::request_context& ctx) {
  using namespace std::chrono;
  const auto st = store_.stats();
  const auto uptime = duration_cast<duration<double>>(steady_clock::now() - state_.started).count();
  nlohmann::ordered_json body = {
      {"version", livekv::version},
      {"uptime_seconds", uptime},
      {"ready", state_.ready.load()},
      {"draining", state_.draining.load()},
      {"keys", st.keys},
      {"keys_with_ttl", st.keys_with_ttl},
      {"bytes", st.bytes},
      {"revision", st.revision},
      {"connections", state_.connections.load()},
      {"connections_total", state_.connections_total.load()},
      {"requests_total", state_.requests_total.load()},
      {"config",
       {{"host", cfg_.host},
        {"port", cfg_.port},
        {"threads", cfg_.threads},
        {"data_dir", cfg_.data_dir},
        {"max_key_bytes", cfg_.max_key_bytes},
        {"max_value_bytes", cfg_.max_value_bytes},
        {"max_header_bytes", cfg_.max_header_bytes},
        {"max_batch_ops", cfg_.max_batch_ops},
        {"max_batch_bytes", cfg_.max_batch_bytes},
        {"log_level", cfg_.log_level},
        {"access_log", cfg_.access_log},
        {"header_timeout_ms", cfg_.header_timeout.count()},
        {"idle_timeout_ms", cfg_.idle_timeout.count()},
        {"shutdown_timeout_ms", cfg_.shutdown_timeout.count()}}},
  };
  return http::make_json(http::status::ok, body, ctx.req.version());
}

http::response admin_handlers::healthz(http::request_context& ctx) {
  return http::make_json(http::status::ok, {{"status", "ok"}}, ctx.req.version());
}

http::response admin_handlers::readyz(http::request_context& ctx) {
  if (state_.draining) return http::make_problem(errc::draining, "the server is shutting down", ctx.req.version());
  if (!state_.ready) return http::make_problem(errc::not_ready, "the server is still starting", ctx.req.version());
  return http::make_json(http::status::ok, {{"status", "ready"}}, ctx.req.version());
}

}  // namespace livekv::handlers
