#include "livekv/handlers/kv_handlers.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <string>

#include "livekv/http/json_response.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/http/uri.hpp"
#include "livekv/store/key.hpp"
#include "livekv/util/base64.hpp"
#include "livekv/util/utf8.hpp"

namespace livekv::handlers {
namespace {

using json = nlohmann::ordered_json;
constexpr std::size_t max_list_limit = 1000;
constexpr std::size_t max_content_type_bytes = 255;

std::string etag_for(std::uint64_t rev) { return "\"" + std::to_string(rev) + "\""; }

// True when an If-None-Match / If-Match header value lists `etag` or is "*". Weak tags compare
// by their opaque part (weak comparison, RFC 9110 §8.8.3.2).
bool etag_list_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

// Decodes and validates the key from the rest of the path.
result<std::string> key_from_path(std::string_view raw, std::size_t max_bytes) {
  auto key = http::percent_decode(raw);
  if (!key) return status(errc::bad_key, "malformed percent-escape in the key");
  if (auto s = store::validate_key(*key, max_bytes); !s) return s;
  return std::move(*key);
}

// Rejects query parameters the route does not know, so typos fail loudly instead of being ignored.
status check_params(const http::query_params& params, std::initializer_list<std::string_view> known) {
  for (const auto& [name, value] : params) {
    bool ok = false;
    for (auto k : known) ok = ok || name == k;
    if (!ok) return {errc::bad_query, "unknown query parameter '" + name + "'"};
  }
  return status::success();
}

result<http::query_params> params_for(const http::request_context& ctx,
                                      std::initializer_list<std::string_view> known) {
  auto params = http::parse_query(ctx.query);
  if (!params) return params;
  if (auto s = check_params(*params, known); !s) return s;
  return params;
}

void set_entry_headers(http::response& res, const store::entry& e) {
  res.set(http::field::etag, etag_for(e.mod_revision));
  res.set("KV-Create-Revision", std::to_string(e.create_revision));
  res.set("KV-Mod-Revision", std::to_string(e.mod_revision));
  res.set("KV-Version", std::to_string(e.version));
}

std::optional<std::size_t> parse_count(const std::string& s) {
  std::size_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(const std::string& s) {
  if (s == "true" || s == "1" || s.empty()) return true;
  if (s == "false" || s == "0") return false;
  return std::nullopt;
}

}  // namespace

void kv_handlers::register_routes(http::router& r) {
  r.prefix(http::verb::get, "/v1/kv/", [this](http::request_context& c) { return get(c); });
  r.prefix(http::verb::put, "/v1/kv/", [this](http::request_context& c) { return put(c); });
  r.prefix(http::verb::delete_, "/v1/kv/", [this](http::request_context& c) { return erase(c); });
  r.exact(http::verb::get, "/v1/kv", [this](http::request_context& c) { return list(c); });
}

http::response kv_handlers::get(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto key = key_from_path(ctx.rest, limits_.max_key_bytes);
  if (!key) return http::make_problem(key.error(), v);
  if (auto params = params_for(ctx, {}); !params) return http::make_problem(params.error(), v);

  const auto e = store_.get(*key);
  if (!e) return http::make_problem(errc::key_not_found, "no key '" + *key + "'", v);

  const std::string etag = etag_for(e->mod_revision);
  if (auto inm = ctx.req.find(http::field::if_none_match); inm != ctx.req.end()) {
    if (etag_list_matches(inm->value(), etag)) {
      http::response res{http::status::not_modified, v};
      set_entry_headers(res, *e);
      return res;
    }
  }
  http::response res{http::status::ok, v};
  res.set(http::field::content_type,
          e->val->content_type.empty() ? std::string_view("application/octet-stream")
                                       : std::string_view(e->val->content_type));
  // A stored text/html value must never be sniffed into something a browser runs.
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::cache_control, "no-cache");
  set_entry_headers(res, *e);
  res.body().shared = e->val;
  return res;
}

http::response kv_handlers::put(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto key = key_from_path(ctx.rest, limits_.max_key_bytes);
  if (!key) return http::make_problem(key.error(), v);
  if (auto params = params_for(ctx, {}); !params) return http::make_problem(params.error(), v);
  if (ctx.req.body().size() > limits_.max_value_bytes) {
    return http::make_problem(errc::value_too_large,
                              "the value is larger than " + std::to_string(limits_.max_value_bytes) + " bytes",
                              v);
  }
  std::string content_type;
  if (auto ct = ctx.req.find(http::field::content_type); ct != ctx.req.end()) {
    const std::string_view t = ct->value();
    if (t.size() > max_content_type_bytes || !util::is_printable_utf8(t))
      return http::make_problem(errc::bad_request, "the Content-Type is too long or not printable", v);
    content_type = std::string(t);
  }
  store::commit_request req;
  // The request body is no longer needed once stored, so it is moved, not copied.
  auto& body = ctx.req.body();
  req.ops.push_back({store::operation::kind::put, *key, store::make_value(std::move(body), std::move(content_type))});
  auto out = store_.commit(req);
  if (!out) return http::make_problem(out.error(), v);
  const bool created = out->results[0].created;
  auto res = http::make_json(created ? http::status::created : http::status::ok,
                             {{"key", *key}, {"revision", out->revision}, {"created", created}}, v);
  res.set(http::field::etag, etag_for(out->revision));
  if (created) res.set(http::field::location, "/v1/kv/" + http::percent_encode_path(*key));
  return res;
}

http::response kv_handlers::erase(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto key = key_from_path(ctx.rest, limits_.max_key_bytes);
  if (!key) return http::make_problem(key.error(), v);
  if (auto params = params_for(ctx, {}); !params) return http::make_problem(params.error(), v);
  store::commit_request req;
  req.conditions.push_back({store::condition::kind::exists, *key, 0, {}, true});
  req.ops.push_back({store::operation::kind::erase, *key, nullptr});
  auto out = store_.commit(req);
  if (!out) return http::make_problem(out.error(), v);
  if (!out->applied) return http::make_problem(errc::key_not_found, "no key '" + *key + "'", v);
  return http::make_json(http::status::ok, {{"key", *key}, {"revision", out->revision}}, v);
}

http::response kv_handlers::list(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto params = params_for(ctx, {"prefix", "start_after", "limit", "values"});
  if (!params) return http::make_problem(params.error(), v);
  store::list_query q;
  bool with_values = false;
  for (const auto& [name, value] : *params) {
    if (name == "prefix" || name == "start_after") {
      if (value.size() > limits_.max_key_bytes || !util::is_valid_utf8(value))
        return http::make_problem(errc::bad_query, name + " must be UTF-8 of at most max-key-bytes bytes", v);
      (name == "prefix" ? q.prefix : q.start_after.emplace()) = value;
    } else if (name == "limit") {
      const auto n = parse_count(value);
      if (!n || *n == 0 || *n > max_list_limit)
        return http::make_problem(errc::bad_query, "limit must be an integer from 1 to 1000", v);
      q.limit = *n;
    } else if (name == "values") {
      const auto b = parse_bool(value);
      if (!b) return http::make_problem(errc::bad_query, "values must be true or false", v);
      with_values = *b;
    }
  }
  const auto page = store_.list(q);
  json items = json::array();
  for (const auto& item : page.items) {
    json j = {{"key", item.key},
              {"create_revision", item.e.create_revision},
              {"mod_revision", item.e.mod_revision},
              {"version", item.e.version}};
    if (with_values) {
      const std::string& bytes = item.e.val->bytes;
      if (util::is_valid_utf8(bytes))
        j["value"] = bytes;
      else
        j["value_base64"] = util::base64_encode(bytes);
    }
    items.push_back(std::move(j));
  }
  json body = {{"items", std::move(items)}, {"revision", page.revision}};
  body["next"] = page.next ? json(*page.next) : json(nullptr);
  return http::make_json(http::status::ok, body, v);
}

}  // namespace livekv::handlers
