#pragma once
#include "livekv/config.hpp"
#include "livekv/http/router.hpp"
#include "livekv/server_state.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::handlers {

// /status, /healthz, /readyz. References must outlive the handlers.
class admin_handlers {
 public:
  admin_handlers(const config& cfg, const store::kv_store& store, const server_state& state)
      : cfg_(cfg), store_(store), state_(state) {}
  void register_routes(http::router& r);

  http::response status(http::request_context& ctx);
  http::response healthz(http::request_context& ctx);
  http::response readyz(http::request_context& ctx);

 private:
  const config& cfg_;
  const store::kv_store& store_;
  const server_state& state_;
};

}  // namespace livekv::handlers
