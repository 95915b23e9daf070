#pragma once
// The server's routes over a real in-memory store, registered as server.cpp registers them, with
// no socket and no thread: what net::http_session hands a parsed request to. One per input, so
// every input starts from an empty store and a crash replays alone.
#include "livekv/auth/gate.hpp"
#include "livekv/config.hpp"
#include "livekv/feed/feed_counters.hpp"
#include "livekv/handlers/admin_handlers.hpp"
#include "livekv/handlers/console_handler.hpp"
#include "livekv/handlers/kv_handlers.hpp"
#include "livekv/handlers/metrics_handler.hpp"
#include "livekv/handlers/txn_handlers.hpp"
#include "livekv/handlers/watch_handlers.hpp"
#include "livekv/http/router.hpp"
#include "livekv/hub/broadcast_hub.hpp"
#include "livekv/net/connection_registry.hpp"
#include "livekv/net/request_guard.hpp"
#include "livekv/server_state.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::fuzz {

class handler_world {
 public:
  handler_world();
  ~handler_world();
  handler_world(const handler_world&) = delete;
  handler_world& operator=(const handler_world&) = delete;

  // The server's settings (config's defaults): limits for the parser and the handlers.
  const config& settings() const noexcept { return cfg_; }
  const http::router& routes() const noexcept { return routes_; }
  // The checks before a route (Host, Origin, CORS preflight), with an allowed origin
  // http://app.example and the loopback host names; no auth file (that needs a file), no rate.
  const net::request_guard& guard() const noexcept { return guard_; }
  // The longest request target the session accepts (as server.cpp computes it).
  std::size_t max_target_bytes() const noexcept { return cfg_.max_key_bytes * 3 + 4096; }

  // Routes `req` and calls its handler as net::http_session::serve does (a deferred answer is
  // taken at once, a stream hand-over is dropped); nullopt when no route serves it. Aborts on a
  // 500: bad input must never be an internal error.
  std::optional<http::response> serve(http::request& req);
  std::optional<http::response> serve(http::request& req, const http::router::match& m);

 private:
  config cfg_;
  store::manual_clock clock_;  // stands still: an input does the same with the same bytes, any time
  store::kv_store store_;
  hub::broadcast_hub hub_;  // never started: no thread; long-polls are answered when it stops
  server_state state_;
  net::connection_registry registry_;
  auth::gate gate_;  // disabled: as without --auth-file
  feed::feed_counters counters_;
  handlers::kv_handlers kv_;
  handlers::txn_handlers txn_;
  handlers::admin_handlers admin_;
  handlers::metrics_handler metrics_;
  handlers::watch_handlers watch_;
  handlers::console_handler console_;
  http::router routes_;
  net::request_guard guard_{{{"http://app.example"}, {"localhost", "127.0.0.1", "[::1]"}, false}, nullptr, nullptr};
};

}  // namespace livekv::fuzz
