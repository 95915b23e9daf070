#include "handler_world.hpp"

#include <cstdio>
#include <cstdlib>

#include "livekv/http/uri.hpp"

namespace livekv::fuzz {

handler_world::handler_world()
    : store_(clock_),
      hub_(hub::hub_options{64, 1 << 20, cfg_.feed_max_value_bytes, 16, std::chrono::milliseconds(100)}, nullptr),
      kv_(store_, {cfg_.max_key_bytes, cfg_.max_value_bytes}, &hub_),
      txn_(store_, {cfg_.max_key_bytes, cfg_.max_value_bytes, cfg_.max_batch_ops, cfg_.max_batch_bytes}),
      admin_(cfg_, store_, state_, nullptr, &hub_, &counters_),
      watch_(feed::feed_env{hub_, gate_, state_, registry_, counters_, {}}, {cfg_.max_key_bytes, cfg_.max_batch_ops}) {
  cfg_.in_memory = true;
  state_.ready = true;
  store_.add_observer(&hub_);
  kv_.register_routes(routes_);
  txn_.register_routes(routes_);
  admin_.register_routes(routes_);
  metrics_.register_routes(routes_, http::access::admin);
  watch_.register_routes(routes_);
  console_.register_routes(routes_);
}

// As server::stop: the hub answers its pending long-polls while the handlers they call live.
handler_world::~handler_world() { hub_.stop(); }

std::optional<http::response> handler_world::serve(http::request& req) {
  return serve(req, routes_.find(req.method(), http::split_target(req.target()).path));
}

std::optional<http::response> handler_world::serve(http::request& req, const http::router::match& m) {
  if (!m.target) return std::nullopt;
  const auto target = http::split_target(req.target());
  http::request_context ctx{req, target.path, target.query, m.rest, "127.0.0.1:40000", {}, {}, "fuzz", {}, {}, {}, {}};
  http::response res = (*m.target)(ctx);
  // A long-poll registers with the hub, which answers it (as timed out) when the world ends.
  if (ctx.defer) ctx.defer([](std::optional<http::response>) {});
  if (res.result() == http::status_code::internal_server_error) {
    std::fprintf(stderr, "500 for %.*s %.*s\n", static_cast<int>(req.method_string().size()), req.method_string().data(),
                 static_cast<int>(req.target().size()), req.target().data());
    std::abort();
  }
  return res;
}

}  // namespace livekv::fuzz
