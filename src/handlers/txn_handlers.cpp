#include "livekv/handlers/txn_handlers.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "livekv/handlers/request_helpers.hpp"
#include "livekv/http/json_response.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/store/key.hpp"
#include "livekv/util/json_nesting.hpp"

namespace livekv::handlers {
namespace {

using json = nlohmann::ordered_json;

// Parses a JSON object body; never throws.
result<json> parse_object(const std::string& body) {
  if (util::json_nesting_exceeds(body))
    return status(errc::bad_json, "the body nests arrays and objects deeper than " +
                                      std::to_string(util::max_json_depth) + " levels");
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return status(errc::bad_json, "the body is not valid JSON");
  if (!j.is_object()) return status(errc::bad_json, "the body must be a JSON object");
  return j;
}

status only_members(const json& obj, std::initializer_list<std::string_view> allowed, std::string_view where) {
  for (const auto& [name, value] : obj.items()) {
    bool ok = false;
    for (auto a : allowed) ok = ok || name == a;
    if (!ok) return {errc::bad_json, std::string(where) + ": unknown member '" + name + "'"};
  }
  return status::success();
}

result<std::string> key_member(const json& obj, std::size_t max_key_bytes, std::string_view where) {
  const auto k = obj.find("key");
  if (k == obj.end() || !k->is_string()) return status(errc::bad_json, std::string(where) + ": key must be a string");
  std::string key = k->get<std::string>();
  // A key too long in a body is a bad request, not a URI too long (which 414 would claim).
  if (auto s = store::validate_key(key, max_key_bytes); !s) return status(errc::bad_key, std::string(where) + ": " + s.message());
  return key;
}

status check_value_size(const std::string& v, std::size_t max, std::string_view where) {
  if (v.size() <= max) return status::success();
  return {errc::value_too_large, std::string(where) + ": the value is larger than " + std::to_string(max) + " bytes"};
}

json revision_or_null(const std::optional<store::entry>& e) { return e ? json(e->mod_revision) : json(nullptr); }

// One element of a batch's "if": {"key", and exactly one of mod_revision, value(_base64), exists}.
result<store::condition> parse_condition(const json& c, const std::string& where, const txn_limits& limits) {
  if (!c.is_object()) return status(errc::bad_json, where + " must be an object");
  if (auto s = only_members(c, {"key", "mod_revision", "value", "value_base64", "exists"}, where); !s) return s;
  auto key = key_member(c, limits.max_key_bytes, where);
  if (!key) return key.error();
  const int kinds = c.contains("mod_revision") + (c.contains("value") || c.contains("value_base64")) + c.contains("exists");
  if (kinds != 1) return status(errc::bad_json, where + " needs exactly one of mod_revision, value, exists");
  store::condition cond{store::condition::kind::exists, std::move(*key), 0, {}, true};
  if (c.contains("mod_revision")) {
    if (!c["mod_revision"].is_number_unsigned())
      return status(errc::bad_json, where + ": mod_revision must be a non-negative integer");
    cond.what = store::condition::kind::mod_revision;
    cond.revision = c["mod_revision"].get<std::uint64_t>();
  } else if (c.contains("exists")) {
    if (!c["exists"].is_boolean()) return status(errc::bad_json, where + ": exists must be true or false");
    cond.present = c["exists"].get<bool>();
  } else {
    auto val = value_member(c, "value", where);
    if (!val) return val.error();
    cond.what = store::condition::kind::value_equals;
    cond.bytes = std::move(**val);
  }
  return cond;
}

// One element of a batch's "ops": {"op": put|delete|get, "key", and for put "value(_base64)", "ttl"}.
result<store::operation> parse_operation(const json& o, const std::string& where, const txn_limits& limits) {
  if (!o.is_object()) return status(errc::bad_json, where + " must be an object");
  const auto kind = o.find("op");
  if (kind == o.end() || !kind->is_string()) return status(errc::bad_json, where + ": op must be put, delete or get");
  auto key = key_member(o, limits.max_key_bytes, where);
  if (!key) return key.error();
  const std::string& name = kind->get_ref<const std::string&>();
  if (name == "put") {
    if (auto s = only_members(o, {"op", "key", "value", "value_base64", "ttl"}, where); !s) return s;
    auto val = value_member(o, "value", where);
    if (!val) return val.error();
    if (!*val) return status(errc::bad_json, where + ": put needs value (or value_base64)");
    if (auto s = check_value_size(**val, limits.max_value_bytes, where); !s) return s;
    store::operation op{store::operation::kind::put, std::move(*key), store::make_value(**val), 0, 0};
    if (o.contains("ttl")) {
      auto ttl = parse_ttl_json(o["ttl"]);
      if (!ttl) return status(errc::bad_json, where + ": " + ttl.error().message());
      op.ttl_ms = *ttl;
    }
    return op;
  }
  if (name == "delete" || name == "get") {
    if (auto s = only_members(o, {"op", "key"}, where); !s) return s;
    return store::operation{name == "get" ? store::operation::kind::get : store::operation::kind::erase,
                            std::move(*key), nullptr, 0, 0};
  }
  return status(errc::bad_json, where + ": op must be put, delete or get, not '" + name + "'");
}

// The whole batch body as one commit request.
result<store::commit_request> parse_batch(const std::string& text, const txn_limits& limits) {
  auto body = parse_object(text);
  if (!body) return body.error();
  if (auto s = only_members(*body, {"if", "ops"}, "batch"); !s) return s;
  const json empty = json::array();
  const json& conds = body->contains("if") ? (*body)["if"] : empty;
  if (!conds.is_array()) return status(errc::bad_json, "batch: if must be an array");
  if (!body->contains("ops") || !(*body)["ops"].is_array()) return status(errc::bad_json, "batch: ops must be an array");
  const json& ops = (*body)["ops"];
  if (ops.size() + conds.size() > limits.max_batch_ops)
    return status(errc::too_many_ops, "a batch may hold at most " + std::to_string(limits.max_batch_ops) +
                                          " conditions and operations together");
  store::commit_request req;
  req.origin = store::commit_request::kind::batch;
  for (std::size_t i = 0; i < conds.size(); ++i) {
    auto cond = parse_condition(conds[i], "if[" + std::to_string(i) + "]", limits);
    if (!cond) return cond.error();
    req.conditions.push_back(std::move(*cond));
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    auto op = parse_operation(ops[i], "ops[" + std::to_string(i) + "]", limits);
    if (!op) return op.error();
    req.ops.push_back(std::move(*op));
  }
  return req;
}

// What each operation of an applied batch found and did, in order.
json batch_results(const store::commit_request& req, const store::commit_outcome& out) {
  json results = json::array();
  for (std::size_t i = 0; i < req.ops.size(); ++i) {
    const auto& op = req.ops[i];
    const auto& r = out.results[i];
    json item;
    switch (op.what) {
      case store::operation::kind::put:
        item = {{"op", "put"}, {"key", op.key}, {"created", r.created}};
        break;
      case store::operation::kind::erase:
        item = {{"op", "delete"}, {"key", op.key}, {"deleted", r.changed}};
        break;
      default:
        item = {{"op", "get"}, {"key", op.key}, {"found", r.previous.has_value()}};
        if (r.previous) {
          set_value_member(item, "value", r.previous->val->bytes());
          item["create_revision"] = r.previous->create_revision;
          item["mod_revision"] = r.previous->mod_revision;
          item["version"] = r.previous->version;
        }
        break;
    }
    results.push_back(std::move(item));
  }
  return results;
}

}  // namespace

void txn_handlers::register_routes(http::router& r) {
  // A CAS body carries two values, as text or base64 (4/3 of the bytes): room for both in base64.
  // Text values full of characters JSON must escape can exceed it; they get 413 naming the limit.
  r.prefix(http::verb::post, "/v1/cas/", http::access::write, [this](http::request_context& c) { return cas(c); },
           std::max(limits_.max_batch_bytes, 2 * (limits_.max_value_bytes / 3 * 4 + 4) + 4096));
  r.exact(http::verb::post, "/v1/batch", http::access::write, [this](http::request_context& c) { return batch(c); }, limits_.max_batch_bytes);
}

http::response txn_handlers::cas(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto key = key_from_path(ctx.rest, limits_.max_key_bytes);
  if (!key) return http::make_problem(key.error(), v);
  if (auto params = params_for(ctx, {}); !params) return http::make_problem(params.error(), v);
  auto body = parse_object(ctx.req.body());
  if (!body) return http::make_problem(body.error(), v);
  if (auto s = only_members(*body, {"expected", "new", "ttl", "expected_base64", "new_base64"}, "cas"); !s)
    return http::make_problem(s, v);

  // "expected" and "new" must be present: null is meaningful (absent / delete), missing is a typo.
  store::commit_request req;
  req.origin = store::commit_request::kind::cas;
  for (const char* name : {"expected", "new"}) {
    const bool is_null = body->contains(name) && (*body)[name].is_null();
    if (is_null && body->contains(std::string(name) + "_base64"))
      return http::make_problem(errc::bad_json, std::string("cas: give ") + name + " or " + name + "_base64, not both", v);
    auto val = is_null ? result<std::optional<std::string>>(std::optional<std::string>()) : value_member(*body, name, "cas");
    if (!val) return http::make_problem(val.error(), v);
    if (!is_null && !*val)
      return http::make_problem(errc::bad_json, std::string("cas: ") + name + " is required (a string, or null)", v);
    if (*val) {
      if (auto s = check_value_size(**val, limits_.max_value_bytes, "cas"); !s) return http::make_problem(s, v);
    }
    if (std::string_view(name) == "expected") {
      if (*val)
        req.conditions.push_back({store::condition::kind::value_equals, *key, 0, std::move(**val), true});
      else
        req.conditions.push_back({store::condition::kind::exists, *key, 0, {}, false});
    } else if (*val) {
      req.ops.push_back({store::operation::kind::put, *key, store::make_value(**val), 0, 0});
    } else {
      req.ops.push_back({store::operation::kind::erase, *key, nullptr, 0, 0});
    }
  }
  if (body->contains("ttl")) {
    if (req.ops[0].what != store::operation::kind::put) return http::make_problem(errc::bad_json, "cas: ttl needs a new value", v);
    auto ttl = parse_ttl_json((*body)["ttl"]);
    if (!ttl) return http::make_problem(ttl.error(), v);
    req.ops[0].ttl_ms = *ttl;
  }
  if (auto refused = outside_scope(ctx, *key)) return std::move(*refused);
  auto out = store_.commit(req);
  if (!out) return http::make_problem(out.error(), v);
  if (!out->applied) {
    json extra = json::object();
    if (out->failed_current)
      set_value_member(extra, "current", out->failed_current->val->bytes());
    else
      extra["current"] = nullptr;
    extra["current_revision"] = revision_or_null(out->failed_current);
    return http::make_problem(errc::cas_mismatch, "the key does not hold the expected value", v, &extra);
  }
  ctx.durable = out->durable;
  return http::make_json(http::status_code::ok, {{"key", *key}, {"revision", out->revision}}, v);
}

http::response txn_handlers::batch(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  if (auto params = params_for(ctx, {}); !params) return http::make_problem(params.error(), v);
  auto req = parse_batch(ctx.req.body(), limits_);
  if (!req) return http::make_problem(req.error(), v);
  if (auto refused = outside_scope(ctx, *req)) return std::move(*refused);
  auto out = store_.commit(*req);
  if (!out) return http::make_problem(out.error(), v);
  if (!out->applied) {
    const std::size_t i = *out->failed_condition;
    json extra = {{"failed_condition", i},
                  {"key", req->conditions[i].key},
                  {"current_revision", revision_or_null(out->failed_current)},
                  {"revision", out->revision}};
    return http::make_problem(errc::condition_failed, "condition if[" + std::to_string(i) + "] does not hold", v, &extra);
  }
  ctx.durable = out->durable;
  return http::make_json(http::status_code::ok, {{"revision", out->revision}, {"results", batch_results(*req, *out)}}, v);
}

}  // namespace livekv::handlers
