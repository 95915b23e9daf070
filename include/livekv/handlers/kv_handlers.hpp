#pragma once
#include <cstddef>

#include <vector>

#include "livekv/http/router.hpp"
#include "livekv/hub/broadcast_hub.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::handlers {

struct kv_limits {
  std::size_t max_key_bytes = 1024;
  std::size_t max_value_bytes = 1024 * 1024;
};

// The /v1/kv routes: point reads and writes of one key, long-poll reads (?wait=R), and prefix
// listings. Holds references to the store and the hub (null: no long-poll, no read events), which
// must outlive it; stateless otherwise, so safe to call from any thread.
class kv_handlers {
 public:
  kv_handlers(store::kv_store& store, kv_limits limits, hub::broadcast_hub* hub = nullptr)
      : store_(store), limits_(limits), hub_(hub) {}
  void register_routes(http::router& r);

  http::response get(http::request_context& ctx);
  http::response put(http::request_context& ctx);
  http::response erase(http::request_context& ctx);
  http::response list(http::request_context& ctx);

 private:
  // The GET answer for `key` as the store has it now.
  http::response read(const std::string& key, const http::request& req) const;
  // One page of the union of `ranges` (sorted, disjoint prefixes, each under q.prefix).
  store::list_page list_ranges(const store::list_query& q, const std::vector<std::string>& ranges) const;
  // Publishes a read event when some feed subscriber listens for reads.
  void announce_read(hub::event_kind kind, std::string subject, const http::request_context& ctx, bool found,
                     std::size_t count) const;

  store::kv_store& store_;
  kv_limits limits_;
  hub::broadcast_hub* hub_;
};

}  // namespace livekv::handlers
