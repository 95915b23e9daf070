#pragma once
#include <cstddef>

#include "livekv/http/router.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::handlers {

struct txn_limits {
  std::size_t max_key_bytes = 1024;
  std::size_t max_value_bytes = 1024 * 1024;
  std::size_t max_batch_ops = 1000;
  std::size_t max_batch_bytes = 4 * 1024 * 1024;
};

// POST /v1/cas/{key} (value compare-and-swap) and POST /v1/batch (conditions + operations under
// one revision). Both become one store commit, so they are atomic with respect to every other
// write. Holds a reference to the store, which must outlive it; safe to call from any thread.
class txn_handlers {
 public:
  txn_handlers(store::kv_store& store, txn_limits limits) : store_(store), limits_(limits) {}
  void register_routes(http::router& r);

  http::response cas(http::request_context& ctx);
  http::response batch(http::request_context& ctx);

 private:
  store::kv_store& store_;
  txn_limits limits_;
};

}  // namespace livekv::handlers
