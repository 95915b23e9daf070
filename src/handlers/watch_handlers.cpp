#include "livekv/handlers/watch_handlers.hpp"

#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>

#include "livekv/feed/sse_session.hpp"
#include "livekv/feed/ws_session.hpp"
#include "livekv/handlers/request_helpers.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/store/key.hpp"
#include "livekv/util/json_nesting.hpp"
#include "livekv/util/parse_uint.hpp"

namespace livekv::handlers {
namespace {

using json = nlohmann::ordered_json;

// "writes" (default), "all", or a comma-separated list of event names.
std::optional<std::uint32_t> parse_ops(std::string_view s) {
  if (s == "writes") return hub::filter::writes_mask;
  if (s == "all") return hub::filter::writes_mask | hub::filter::reads_mask;
  std::uint32_t mask = 0;
  while (!s.empty()) {
    const auto comma = s.find(',');
    const auto name = s.substr(0, comma);
    bool known = false;
    for (std::size_t k = 0; k < hub::event_kind_count; ++k) {
      const auto kind = static_cast<hub::event_kind>(k);
      if (name == hub::event_kind_name(kind)) mask |= hub::filter::bit(kind), known = true;
    }
    if (name == "writes") mask |= hub::filter::writes_mask, known = true;
    if (name == "reads") mask |= hub::filter::reads_mask, known = true;
    if (!known) return std::nullopt;
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
  }
  if (mask == 0) return std::nullopt;
  return mask;
}

}  // namespace

void watch_handlers::register_routes(http::router& r) {
  r.exact(http::verb::get, "/wal", http::access::read, [this](http::request_context& c) { return websocket(c); });
  r.exact(http::verb::get, "/v1/watch", http::access::read, [this](http::request_context& c) { return watch(c); });
  r.prefix(http::verb::get, "/v1/watch/", http::access::read, [this](http::request_context& c) { return watch_key(c); });
  // Room for the largest key list the batch limits allow, as JSON strings.
  r.exact(http::verb::post, "/v1/watch", http::access::read, [this](http::request_context& c) { return watch_keys(c); },
          limits_.max_keys * (limits_.max_key_bytes * 6 + 4) + 64);
}

std::optional<http::response> watch_handlers::subscribe(http::request_context& ctx, feed::subscription& sub,
                                                        bool sse, bool keys_in_query) {
  const unsigned v = ctx.req.version();
  // access_token: an EventSource's bearer token (http/credentials), already checked.
  auto params = keys_in_query ? params_for(ctx, {"prefix", "key", "ops", "since", "include", "access_token"})
                              : params_for(ctx, {"ops", "since", "include", "access_token"});
  if (!params) return http::make_problem(params.error(), v);
  for (const auto& [name, value] : *params) {
    if (name == "prefix") {
      if (value.size() > limits_.max_key_bytes)
        return http::make_problem(errc::bad_query, "prefix is longer than --max-key-bytes", v);
      sub.filter.set_prefix(value);
    } else if (name == "key") {
      if (auto s = store::validate_key(value, limits_.max_key_bytes); !s) return http::make_problem(s, v);
      if (sub.filter.keys().size() >= limits_.max_keys)
        return http::make_problem(errc::bad_query, "too many keys (--max-batch-ops)", v);
      sub.filter.add_key(value);
    } else if (name == "ops") {
      const auto mask = parse_ops(value);
      if (!mask)
        return http::make_problem(errc::bad_query,
                                  "ops must be writes, all, or a list of put,delete,expire,cas,batch,get,list", v);
      sub.filter.set_kinds(*mask);
    } else if (name == "since") {
      const auto r = util::parse_uint<std::uint64_t>(value);
      if (!r) return http::make_problem(errc::bad_query, "since must be a revision (a non-negative integer)", v);
      sub.since = *r;
    } else if (name == "include") {
      if (value != "prev") return http::make_problem(errc::bad_query, "include takes only 'prev'", v);
      sub.with_prev = true;
    }
  }
  if (ctx.who) {
    // The token's scope, on top of what the client asked: a key or prefix wholly outside it is
    // refused (the client should know), one partly inside is narrowed to the scope.
    for (const auto& key : sub.filter.keys())
      if (auto refused = outside_scope(ctx, key)) return refused;
    if ((!sub.filter.prefix().empty() || sub.filter.keys().empty()) &&
        ctx.who->scope_of(sub.filter.prefix()) == auth::listing_scope::none)
      return http::make_problem(errc::forbidden,
                                "the token '" + ctx.who->name() + "' may not watch the prefix '" +
                                    sub.filter.prefix() + "' (outside its prefixes)",
                                v);
    if (!ctx.who->unrestricted()) sub.filter.set_scope(ctx.who->prefixes());
    // Read events tell who read what: the audit stream is the admin's.
    sub.needs = sub.filter.wants_reads() ? auth::role::admin : auth::role::read;
    if (!ctx.who->may(sub.needs))
      return http::make_problem(errc::forbidden,
                                "the token '" + ctx.who->name() + "' lacks the admin role that read events (ops=" +
                                    "all, reads, get, list) need",
                                v);
    sub.who = ctx.who;
  }
  sub.connection_slot = ctx.connection_slot;
  if (sse) {
    // EventSource reconnects with the id of the last event it saw: that is the resume point.
    if (const auto h = ctx.req.find("Last-Event-ID"); h != ctx.req.end() && !h->value().empty()) {
      const auto r = util::parse_uint<std::uint64_t>(h->value());
      if (!r) return http::make_problem(errc::bad_request, "Last-Event-ID must be a revision", v);
      sub.since = *r;
    }
  }
  if (sub.since) {
    const auto head = env_.hub.head();
    if (*sub.since > head)
      return http::make_problem(errc::bad_query,
                                "since=" + std::to_string(*sub.since) + " is ahead of the current revision " +
                                    std::to_string(head), v);
    const auto compact = env_.hub.compact_revision();
    if (*sub.since < compact) {
      json extra = {{"compact_revision", compact}, {"current_revision", head}};
      return http::make_problem(errc::history_compacted,
                                "revisions up to " + std::to_string(compact) +
                                    " are no longer held; read the current state, then watch with since=" +
                                    std::to_string(head),
                                v, &extra);
    }
  }
  if (env_.hub.stats().subscribers >= env_.hub.options().max_subscribers)
    return http::make_problem(errc::too_many_subscribers, "the server has as many feed subscribers as it allows", v);
  if (env_.state.draining.load(std::memory_order_acquire))
    return http::make_problem(errc::draining, "the server is shutting down", v);
  return std::nullopt;
}

http::response watch_handlers::websocket(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  feed::subscription sub;
  if (auto problem = subscribe(ctx, sub, false, true)) return std::move(*problem);
  if (!boost::beast::websocket::is_upgrade(ctx.req)) {
    auto res = http::make_problem(errc::upgrade_required, "GET /wal is a WebSocket: send the upgrade headers", v);
    res.set(http::field::upgrade, "websocket");
    res.set(http::field::connection, "Upgrade");
    return res;
  }
  ctx.take_over = [env = env_, sub = std::move(sub)](http::taken_stream&& s, boost::beast::flat_buffer&&,
                                                     http::request&& req) mutable {
    feed::start_ws_session(std::move(s), env, std::move(sub), std::move(req));
  };
  return http::response{http::status_code::switching_protocols, v};
}

namespace {

http::response start_sse(http::request_context& ctx, feed::feed_env env, feed::subscription sub) {
  if (ctx.req.method() == http::verb::head) {
    // HEAD learns what a GET would stream, without a stream.
    http::response res{http::status_code::ok, ctx.req.version()};
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set(http::field::cache_control, "no-cache");
    return res;
  }
  ctx.take_over = [env, sub = std::move(sub), id = std::string(ctx.request_id), head = std::string(ctx.extra_head)](
                      http::taken_stream&& s, boost::beast::flat_buffer&&, http::request&&) mutable {
    feed::start_sse_session(std::move(s), env, std::move(sub), std::move(id), std::move(head));
  };
  return http::response{http::status_code::ok, ctx.req.version()};
}

}  // namespace

http::response watch_handlers::watch(http::request_context& ctx) {
  feed::subscription sub;
  if (auto problem = subscribe(ctx, sub, true, true)) return std::move(*problem);
  return start_sse(ctx, env_, std::move(sub));
}

http::response watch_handlers::watch_key(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto key = key_from_path(ctx.rest, limits_.max_key_bytes);
  if (!key) return http::make_problem(key.error(), v);
  feed::subscription sub;
  sub.filter.add_key(*key);
  if (auto problem = subscribe(ctx, sub, true, false)) return std::move(*problem);
  return start_sse(ctx, env_, std::move(sub));
}

http::response watch_handlers::watch_keys(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  if (util::json_nesting_exceeds(ctx.req.body()))
    return http::make_problem(errc::bad_json, "the body nests arrays and objects deeper than " +
                                                  std::to_string(util::max_json_depth) + " levels", v);
  const auto body = json::parse(ctx.req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_array() || body.empty())
    return http::make_problem(errc::bad_json, "the body must be a non-empty JSON array of keys", v);
  if (body.size() > limits_.max_keys)
    return http::make_problem(errc::too_many_ops, "more keys than --max-batch-ops", v);
  feed::subscription sub;
  for (const auto& k : body) {
    if (!k.is_string()) return http::make_problem(errc::bad_json, "every key must be a JSON string", v);
    const auto& key = k.get_ref<const std::string&>();
    if (auto s = store::validate_key(key, limits_.max_key_bytes); !s) return http::make_problem(s, v);
    sub.filter.add_key(key);
  }
  if (auto problem = subscribe(ctx, sub, true, false)) return std::move(*problem);
  return start_sse(ctx, env_, std::move(sub));
}

}  // namespace livekv::handlers
