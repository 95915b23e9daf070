#include "livekv/handlers/kv_handlers.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "livekv/handlers/request_helpers.hpp"
#include "livekv/http/json_response.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/util/json_text.hpp"
#include "livekv/util/parse_uint.hpp"
#include "livekv/util/utf8.hpp"

namespace livekv::handlers {
namespace {

using json = nlohmann::ordered_json;
constexpr std::size_t max_list_limit = 1000;
constexpr std::size_t max_content_type_bytes = 255;
constexpr std::int64_t default_wait_seconds = 30;
constexpr std::size_t max_wait_seconds = 300;

// A value is whatever a client stored, under the Content-Type it chose, served from the origin of
// the console and the API: a text/html value with a <script> would run there with the console's
// rights (stored XSS). A sandbox without allow-scripts runs no script and gives the document an
// opaque origin; default-src 'none' loads nothing for it. Sent with the 304 too, because a browser
// renders a revalidated response with the headers of the 304 merged in.
constexpr std::string_view value_policy = "sandbox; default-src 'none'";

void set_value_guard_headers(http::response& res) {
  res.set("Content-Security-Policy", value_policy);
  // Nor may a value be sniffed into a type the browser runs (a script, a style sheet).
  res.set("X-Content-Type-Options", "nosniff");
}

void set_entry_headers(http::response& res, const store::entry& e, std::int64_t now_ms) {
  res.set(http::field::etag, etag_for(e.mod_revision));
  res.set("KV-Create-Revision", std::to_string(e.create_revision));
  res.set("KV-Mod-Revision", std::to_string(e.mod_revision));
  res.set("KV-Version", std::to_string(e.version));
  if (e.expires_at_ms != 0) res.set("KV-TTL", format_seconds(e.expires_at_ms - now_ms));
}

std::optional<bool> parse_bool(const std::string& s) {
  if (s == "true" || s == "1" || s.empty()) return true;
  if (s == "false" || s == "0") return false;
  return std::nullopt;
}

// Turns an If-Match header into a store condition. Returns false (and sets `problem`) when the
// header is malformed.
bool add_if_match(const http::request& req, const std::string& key, store::commit_request& commit,
                  std::optional<http::response>& problem) {
  const auto h = req.find(http::field::if_match);
  if (h == req.end()) return true;
  auto m = parse_if_match(h->value());
  if (!m) {
    problem = http::make_problem(m.error(), req.version());
    return false;
  }
  // A tag we never issue (weak, unparsable, "0") can match nothing: no key has that revision.
  constexpr std::uint64_t unmatchable = std::numeric_limits<std::uint64_t>::max();
  if (m->any)
    commit.conditions.push_back({store::condition::kind::exists, key, 0, {}, true});
  else
    commit.conditions.push_back({store::condition::kind::mod_revision, key,
                                 m->revision.value_or(0) == 0 ? unmatchable : *m->revision, {}, true});
  return true;
}

http::response precondition_failed(const store::commit_outcome& out, unsigned version) {
  json extra = {{"current_revision", out.failed_current ? json(out.failed_current->mod_revision) : json(nullptr)}};
  return http::make_problem(errc::precondition_failed, "the key's current revision does not match the precondition",
                            version, &extra);
}

}  // namespace

namespace {

// The parts of a listing under `prefix` that a token scoped to `scope` may see: its prefixes that
// lie under `prefix`, sorted, without those inside another.
std::vector<std::string> scoped_ranges(const std::vector<std::string>& scope, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& p : scope)
    if (p.starts_with(prefix)) out.push_back(p);
  std::sort(out.begin(), out.end());
  std::vector<std::string> disjoint;
  for (auto& p : out)
    if (disjoint.empty() || !p.starts_with(disjoint.back())) disjoint.push_back(std::move(p));
  return disjoint;
}

}  // namespace

void kv_handlers::register_routes(http::router& r) {
  r.prefix(http::verb::get, "/v1/kv/", http::access::read, [this](http::request_context& c) { return get(c); });
  r.prefix(http::verb::put, "/v1/kv/", http::access::write, [this](http::request_context& c) { return put(c); }, limits_.max_value_bytes);
  r.prefix(http::verb::delete_, "/v1/kv/", http::access::write, [this](http::request_context& c) { return erase(c); });
  r.exact(http::verb::get, "/v1/kv", http::access::read, [this](http::request_context& c) { return list(c); });
}

http::response kv_handlers::get(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto key = key_from_path(ctx.rest, limits_.max_key_bytes);
  if (!key) return http::make_problem(key.error(), v);
  if (auto refused = outside_scope(ctx, *key)) return std::move(*refused);
  auto params = params_for(ctx, {"wait", "timeout"});
  if (!params) return http::make_problem(params.error(), v);
  std::optional<std::uint64_t> wait;
  std::int64_t timeout_s = default_wait_seconds;
  for (const auto& [name, value] : *params) {
    const auto n = util::parse_uint<std::size_t>(value);
    if (name == "wait") {
      if (!n) return http::make_problem(errc::bad_query, "wait must be a revision (a non-negative integer)", v);
      wait = *n;
    } else if (name == "timeout") {
      if (!n || *n == 0 || *n > max_wait_seconds)
        return http::make_problem(errc::bad_query, "timeout must be a number of seconds from 1 to 300", v);
      timeout_s = static_cast<std::int64_t>(*n);
    }
  }
  if (!wait || !hub_) {
    auto res = read(*key, ctx.req);
    announce_read(hub::event_kind::get, *key, ctx, res.result() != http::status_code::not_found, 0);
    return res;
  }
  // Long-poll: answer at once if the key changed after `wait`, else when it does, else 304 at the
  // timeout. The hub decides "changed" from its history, so a delete counts too.
  const auto e = store_.get(*key);
  if (e && e->mod_revision > *wait) return read(*key, ctx.req);
  ctx.defer = [this, key = std::move(*key), req = ctx.req, after = *wait,
               deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s)](
                  http::request_context::resume_fn resume) mutable {
    auto answer = [this, key, req = std::move(req), resume = std::move(resume)](bool changed) {
      if (changed) return resume(read(key, req));
      resume(http::response{http::status_code::not_modified, req.version()});
    };
    hub_->wait_for_key(std::move(key), after, deadline, std::move(answer));
  };
  return http::response{http::status_code::not_modified, v};
}

http::response kv_handlers::read(const std::string& key, const http::request& req) const {
  const unsigned v = req.version();
  const auto e = store_.get(key);
  if (!e) return http::make_problem(errc::key_not_found, "no key '" + key + "'", v);
  const std::int64_t now = e->expires_at_ms != 0 ? store_.time_source().now_ms() : 0;

  if (auto inm = req.find(http::field::if_none_match); inm != req.end()) {
    if (etag_list_matches(inm->value(), etag_for(e->mod_revision))) {
      http::response res{http::status_code::not_modified, v};
      set_value_guard_headers(res);
      set_entry_headers(res, *e, now);
      return res;
    }
  }
  http::response res{http::status_code::ok, v};
  res.set(http::field::content_type,
          e->val->content_type().empty() ? std::string_view("application/octet-stream") : e->val->content_type());
  set_value_guard_headers(res);
  res.set(http::field::cache_control, "no-cache");
  set_entry_headers(res, *e, now);
  res.body().shared = http::shared_bytes(e->val, e->val->bytes());
  return res;
}

void kv_handlers::announce_read(hub::event_kind kind, std::string subject, const http::request_context& ctx,
                                bool found, std::size_t count) const {
  // One atomic load when nobody listens for reads: the common case pays nothing more.
  if (!hub_ || !hub_->wants_reads()) return;
  auto ev = std::make_shared<hub::event>();
  ev->kind = kind;
  ev->ts_ms = store_.time_source().now_ms();
  ev->subject = std::move(subject);
  ev->client = std::string(ctx.client);
  ev->found = found;
  ev->count = count;
  hub_->publish_read(ev);
}

http::response kv_handlers::put(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto key = key_from_path(ctx.rest, limits_.max_key_bytes);
  if (!key) return http::make_problem(key.error(), v);
  if (auto refused = outside_scope(ctx, *key)) return std::move(*refused);
  auto params = params_for(ctx, {"ttl"});
  if (!params) return http::make_problem(params.error(), v);
  std::int64_t ttl_ms = 0;
  for (const auto& [name, value] : *params) {
    auto ttl = parse_ttl(value);
    if (!ttl) return http::make_problem(ttl.error(), v);
    ttl_ms = *ttl;
  }
  if (ctx.req.body().size() > limits_.max_value_bytes) {
    return http::make_problem(errc::value_too_large,
                              "the value is larger than " + std::to_string(limits_.max_value_bytes) + " bytes", v);
  }
  std::string_view content_type;  // a view into the request, which outlives make_value below
  if (auto ct = ctx.req.find(http::field::content_type); ct != ctx.req.end()) {
    const std::string_view t = ct->value();
    if (t.size() > max_content_type_bytes || !util::is_printable_utf8(t))
      return http::make_problem(errc::bad_request, "the Content-Type is too long or not printable", v);
    content_type = t;
  }
  store::commit_request req;
  std::optional<http::response> problem;
  if (!add_if_match(ctx.req, *key, req, problem)) return std::move(*problem);
  if (auto inm = ctx.req.find(http::field::if_none_match); inm != ctx.req.end()) {
    if (inm->value() != "*") return http::make_problem(errc::bad_request, "PUT takes only If-None-Match: *", v);
    req.conditions.push_back({store::condition::kind::exists, *key, 0, {}, false});
  }
  // The body is copied once into the value's own block: a value is one allocation with its bytes
  // inline (store/value.hpp), which a million stored keys repay many times over one memcpy.
  req.ops.push_back({store::operation::kind::put, *key, store::make_value(ctx.req.body(), content_type), ttl_ms, 0});
  auto out = store_.commit(req);
  if (!out) return http::make_problem(out.error(), v);
  if (!out->applied) return precondition_failed(*out, v);
  ctx.durable = out->durable;
  const bool created = out->results[0].created;
  // {"key":K,"revision":R,"created":B} written directly: building and dumping a JSON object was
  // the largest user-space cost of a PUT after the hash lookup. Keys are valid UTF-8 (validate_key),
  // so escaping them is all JSON needs.
  http::response res{created ? http::status_code::created : http::status_code::ok, v};
  res.set(http::field::content_type, "application/json");
  std::string& body = res.body().text;
  body.reserve(48 + key->size());
  util::json_writer(body)
      .begin_object()
      .string("key", *key)
      .number("revision", out->revision)
      .boolean("created", created)
      .end_object();
  body += '\n';
  res.set(http::field::etag, etag_for(out->revision));
  if (created) res.set(http::field::location, "/v1/kv/" + http::percent_encode_path(*key));
  return res;
}

http::response kv_handlers::erase(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  auto key = key_from_path(ctx.rest, limits_.max_key_bytes);
  if (!key) return http::make_problem(key.error(), v);
  if (auto refused = outside_scope(ctx, *key)) return std::move(*refused);
  if (auto params = params_for(ctx, {}); !params) return http::make_problem(params.error(), v);
  store::commit_request req;
  std::optional<http::response> problem;
  if (!add_if_match(ctx.req, *key, req, problem)) return std::move(*problem);
  const bool conditional = !req.conditions.empty();
  req.conditions.push_back({store::condition::kind::exists, *key, 0, {}, true});
  req.ops.push_back({store::operation::kind::erase, *key, nullptr, 0, 0});
  auto out = store_.commit(req);
  if (!out) return http::make_problem(out.error(), v);
  if (!out->applied) {
    if (conditional && *out->failed_condition == 0) return precondition_failed(*out, v);
    return http::make_problem(errc::key_not_found, "no key '" + *key + "'", v);
  }
  ctx.durable = out->durable;
  return http::make_json(http::status_code::ok, {{"key", *key}, {"revision", out->revision}}, v);
}

store::list_page kv_handlers::list_ranges(const store::list_query& q, const std::vector<std::string>& ranges) const {
  // Each range is contiguous in key order and they are sorted and disjoint: listing them one
  // after the other is a listing of their union, and a page's last key resumes it.
  store::list_page out;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    store::list_query part{ranges[i], q.start_after, q.limit - out.items.size()};
    auto page = store_.list(part);
    out.revision = std::max(out.revision, page.revision);
    for (auto& item : page.items) out.items.push_back(std::move(item));
    if (page.next) {
      out.next = out.items.back().key;  // more in this range
      break;
    }
    if (out.items.size() == q.limit) {
      // Full at the end of this range: as for an unscoped listing, next only when a key follows
      // (in a later range), so that a client does not ask for an empty page.
      const bool more = std::any_of(ranges.begin() + static_cast<std::ptrdiff_t>(i) + 1, ranges.end(),
                                    [&](const std::string& later) {
                                      return !store_.list({later, q.start_after, 1}).items.empty();
                                    });
      if (more && !out.items.empty()) out.next = out.items.back().key;
      break;
    }
  }
  return out;
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
      const auto n = util::parse_uint<std::size_t>(value);
      if (!n || *n == 0 || *n > max_list_limit)
        return http::make_problem(errc::bad_query, "limit must be an integer from 1 to 1000", v);
      q.limit = *n;
    } else if (name == "values") {
      const auto b = parse_bool(value);
      if (!b) return http::make_problem(errc::bad_query, "values must be true or false", v);
      with_values = *b;
    }
  }
  std::vector<std::string> ranges;  // with a token scoped below the prefix: the parts it may see
  if (ctx.who) {
    switch (ctx.who->scope_of(q.prefix)) {
      case auth::listing_scope::all: break;
      case auth::listing_scope::none:
        return http::make_problem(errc::forbidden,
                                  "the token '" + ctx.who->name() + "' may not list the prefix '" + q.prefix +
                                      "' (outside its prefixes)",
                                  v);
      case auth::listing_scope::partial:
        ranges = scoped_ranges(ctx.who->prefixes(), q.prefix);
        break;
    }
  }
  const auto page = ranges.empty() ? store_.list(q) : list_ranges(q, ranges);
  json items = json::array();
  for (const auto& item : page.items) {
    json j = {{"key", item.key},
              {"create_revision", item.e.create_revision},
              {"mod_revision", item.e.mod_revision},
              {"version", item.e.version}};
    if (item.e.expires_at_ms != 0) j["expires_at_ms"] = item.e.expires_at_ms;
    if (with_values) set_value_member(j, "value", item.e.val->bytes());
    items.push_back(std::move(j));
  }
  json body = {{"items", std::move(items)}};
  body["next"] = page.next ? json(*page.next) : json(nullptr);
  body["revision"] = page.revision;
  announce_read(hub::event_kind::list, q.prefix, ctx, true, page.items.size());
  return http::make_json(http::status_code::ok, body, v);
}

}  // namespace livekv::handlers
