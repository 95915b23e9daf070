#pragma once
#include <cstddef>

#include "livekv/http/router.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::handlers {

struct kv_limits {
  std::size_t max_key_bytes = 1024;
  std::size_t max_value_bytes = 1024 * 1024;
};

// The /v1/kv routes: point reads and writes of one key, and prefix listings. Holds references to
// the store, which must outlive it; stateless otherwise, so safe to call from any thread.
class kv_handlers {
 public:
  kv_handlers(store::kv_store& store, kv_limits limits) : store_(store), limits_(limits) {}
  void register_routes(http::router& r);

  http::response get(http::request_context& ctx);
  http::response put(http::request_context& ctx);
  http::response erase(http::request_context& ctx);
  http::response list(http::request_context& ctx);

 private:
  store::kv_store& store_;
  kv_limits limits_;
};

}  // namespace livekv::handlers
