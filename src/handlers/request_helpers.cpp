#include "livekv/handlers/request_helpers.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "livekv/http/problem.hpp"
#include "livekv/store/key.hpp"
#include "livekv/util/base64.hpp"
#include "livekv/util/parse_uint.hpp"
#include "livekv/util/utf8.hpp"

namespace livekv::handlers {

result<std::string> key_from_path(std::string_view raw, std::size_t max_key_bytes) {
  auto key = http::percent_decode(raw);
  if (!key) return status(errc::bad_key, "malformed percent-escape in the key");
  if (auto s = store::validate_key(*key, max_key_bytes); !s) return s;
  return std::move(*key);
}

result<http::query_params> params_for(const http::request_context& ctx, std::initializer_list<std::string_view> known) {
  auto params = http::parse_query(ctx.query);
  if (!params) return params;
  for (const auto& [name, value] : *params) {
    bool ok = false;
    for (auto k : known) ok = ok || name == k;
    if (!ok) return status(errc::bad_query, "unknown query parameter '" + name + "'");
  }
  return params;
}

namespace {

status bad_ttl(std::string_view what) {
  return {errc::bad_query, "ttl must be a number of seconds greater than 0 and at most ten years, not " +
                               std::string(what)};
}

result<std::int64_t> ttl_from_seconds(double seconds, std::string_view what) {
  if (!std::isfinite(seconds) || seconds <= 0) return bad_ttl(what);
  const double ms = std::ceil(seconds * 1000.0);
  if (ms > static_cast<double>(max_ttl_ms)) return bad_ttl(what);
  return static_cast<std::int64_t>(ms);
}

}  // namespace

result<std::int64_t> parse_ttl(std::string_view text) {
  // Plain decimal only: no sign, exponent, hex, inf or nan.
  if (text.empty() || text.size() > 20) return bad_ttl("'" + std::string(text) + "'");
  for (char c : text)
    if (!(c >= '0' && c <= '9') && c != '.') return bad_ttl("'" + std::string(text) + "'");
  double v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size()) return bad_ttl("'" + std::string(text) + "'");
  return ttl_from_seconds(v, "'" + std::string(text) + "'");
}

result<std::int64_t> parse_ttl_json(const nlohmann::ordered_json& j) {
  if (!j.is_number()) return status(errc::bad_json, "ttl must be a number of seconds");
  auto r = ttl_from_seconds(j.get<double>(), j.dump());
  if (!r) return status(errc::bad_json, r.error().message());
  return r;
}

std::string etag_for(std::uint64_t rev) { return "\"" + std::to_string(rev) + "\""; }

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool etag_list_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view tag = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

result<if_match> parse_if_match(std::string_view header) {
  const std::string_view tag = trim(header);
  if_match m;
  if (tag == "*") {
    m.any = true;
    return m;
  }
  if (tag.find(',') != std::string_view::npos)
    return status(errc::bad_request, "If-Match takes one entity tag (\"<revision>\") or *");
  // Weak tags never match under If-Match's strong comparison (RFC 9110 §13.1.1).
  if (tag.size() >= 3 && tag.front() == '"' && tag.back() == '"') {
    if (const auto rev = util::parse_uint<std::uint64_t>(tag.substr(1, tag.size() - 2))) m.revision = *rev;
    return m;
  }
  if (tag.starts_with("W/\"")) return m;
  return status(errc::bad_request, "If-Match must be an entity tag such as \"42\", or *");
}

void set_value_member(nlohmann::ordered_json& j, const std::string& name, std::string_view bytes) {
  if (util::is_valid_utf8(bytes))
    j[name] = bytes;
  else
    j[name + "_base64"] = util::base64_encode(bytes);
}

result<std::optional<std::string>> value_member(const nlohmann::ordered_json& obj, const std::string& name,
                                                std::string_view where) {
  const auto text = obj.find(name);
  const auto b64 = obj.find(name + "_base64");
  if (text != obj.end() && b64 != obj.end())
    return status(errc::bad_json, std::string(where) + ": give " + name + " or " + name + "_base64, not both");
  if (text != obj.end()) {
    if (!text->is_string()) return status(errc::bad_json, std::string(where) + ": " + name + " must be a string");
    return std::optional<std::string>(text->get<std::string>());
  }
  if (b64 != obj.end()) {
    if (!b64->is_string()) return status(errc::bad_json, std::string(where) + ": " + name + "_base64 must be a string");
    auto bytes = util::base64_decode(b64->get_ref<const std::string&>());
    if (!bytes) return status(errc::bad_json, std::string(where) + ": " + name + "_base64 is not valid base64");
    return std::optional<std::string>(std::move(*bytes));
  }
  return std::optional<std::string>();
}

std::string format_seconds(std::int64_t ms) {
  if (ms < 0) ms = 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
  return buf;
}

std::optional<http::response> outside_scope(const http::request_context& ctx, std::string_view key) {
  if (!ctx.who || ctx.who->covers(key)) return std::nullopt;
  return http::make_problem(errc::forbidden,
                            "the token '" + ctx.who->name() + "' may not touch the key '" + std::string(key) +
                                "' (outside its prefixes)",
                            ctx.req.version());
}

std::optional<http::response> outside_scope(const http::request_context& ctx, const store::commit_request& req) {
  if (!ctx.who || ctx.who->unrestricted()) return std::nullopt;
  for (const auto& op : req.ops)
    if (auto refused = outside_scope(ctx, op.key)) return refused;
  for (const auto& c : req.conditions)
    if (auto refused = outside_scope(ctx, c.key)) return refused;
  return std::nullopt;
}

}  // namespace livekv::handlers
