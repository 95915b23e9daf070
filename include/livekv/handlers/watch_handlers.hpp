#pragma once
// The live feed's routes: GET /wal (WebSocket), and the Server-Sent Events watches GET /v1/watch,
// GET /v1/watch/{key}, POST /v1/watch (a JSON array of keys). They validate the request, answer
// its errors as problem+json (400, 410 when a resume reaches past the history, 426, 503), and
// hand the connection to a feed session (feed/) otherwise. Thread-safe; references outlive it.
#include "livekv/feed/feed_session.hpp"
#include "livekv/http/router.hpp"

namespace livekv::handlers {

struct watch_limits {
  std::size_t max_key_bytes = 1024;
  std::size_t max_keys = 1000;  // keys one POST /v1/watch may name (--max-batch-ops)
};

class watch_handlers {
 public:
  watch_handlers(feed::feed_env env, watch_limits limits) : env_(env), limits_(limits) {}
  void register_routes(http::router& r);

  http::response websocket(http::request_context& ctx);
  http::response watch(http::request_context& ctx);       // GET /v1/watch?prefix=
  http::response watch_key(http::request_context& ctx);   // GET /v1/watch/{key}
  http::response watch_keys(http::request_context& ctx);  // POST /v1/watch

 private:
  // Parses the query options every feed route shares (prefix, key, ops, since, include) into
  // `sub`, then checks the resume point and the subscriber limit. `last_event_id` (SSE) wins
  // over since=. On success sets ctx.take_over; else returns the problem to send.
  std::optional<http::response> subscribe(http::request_context& ctx, feed::subscription& sub, bool sse,
                                          bool keys_in_query);
  feed::feed_env env_;
  watch_limits limits_;
};

}  // namespace livekv::handlers
