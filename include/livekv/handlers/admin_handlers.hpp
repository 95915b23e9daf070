#pragma once
#include "livekv/config.hpp"
#include "livekv/http/router.hpp"
#include "livekv/feed/feed_counters.hpp"
#include "livekv/hub/broadcast_hub.hpp"
#include "livekv/server_state.hpp"
#include "livekv/store/kv_store.hpp"
#include "livekv/wal/storage.hpp"

namespace livekv::handlers {

// /status, /healthz, /readyz, POST /v1/admin/snapshot. References must outlive the handlers;
// `disk` is null with --in-memory.
class admin_handlers {
 public:
  admin_handlers(const config& cfg, const store::kv_store& store, const server_state& state, wal::storage* disk,
                 const hub::broadcast_hub* hub = nullptr, const feed::feed_counters* feed = nullptr)
      : cfg_(cfg), store_(store), state_(state), disk_(disk), hub_(hub), feed_(feed) {}
  void register_routes(http::router& r);

  http::response status(http::request_context& ctx);
  http::response healthz(http::request_context& ctx);
  http::response readyz(http::request_context& ctx);
  http::response snapshot(http::request_context& ctx);

 private:
  const config& cfg_;
  const store::kv_store& store_;
  const server_state& state_;
  wal::storage* disk_;
  const hub::broadcast_hub* hub_;  // null in tests without a feed
  const feed::feed_counters* feed_;  // as hub_
};

}  // namespace livekv::handlers
