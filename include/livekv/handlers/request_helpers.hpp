#pragma once
// Request parsing shared by the handlers: keys from paths, query parameters, TTLs, entity tags,
// and values in JSON. Each returns a status value describing what was wrong, never throws.
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "livekv/http/request_context.hpp"
#include "livekv/http/uri.hpp"
#include "livekv/status.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::handlers {

// The longest TTL accepted: ten years.
inline constexpr std::int64_t max_ttl_ms = 10LL * 365 * 24 * 3600 * 1000;

// Percent-decodes and validates a key taken from the path.
result<std::string> key_from_path(std::string_view raw, std::size_t max_key_bytes);

// Parses the query, rejecting parameters not in `known` (typos fail loudly, not silently).
result<http::query_params> params_for(const http::request_context& ctx, std::initializer_list<std::string_view> known);

// "30", "0.25": seconds, > 0, at most ten years, millisecond precision. Returns milliseconds.
result<std::int64_t> parse_ttl(std::string_view text);
result<std::int64_t> parse_ttl_json(const nlohmann::ordered_json& j);

std::string etag_for(std::uint64_t revision);

// True when an If-None-Match header value lists `etag` or is "*" (weak comparison).
bool etag_list_matches(std::string_view header, std::string_view etag);

// An If-Match header value: "*" (any current entity) or exactly one strong revision tag.
struct if_match {
  bool any = false;
  std::optional<std::uint64_t> revision;  // nullopt with !any: a tag that matches nothing of ours
};
result<if_match> parse_if_match(std::string_view header);

// Sets j[name] to the bytes as a JSON string when they are valid UTF-8, else j[name + "_base64"].
void set_value_member(nlohmann::ordered_json& j, const std::string& name, std::string_view bytes);

// Reads a value given as {"value": "text"} or {"value_base64": "..."} under `name`.
// Errors: errc::bad_json naming `where` when the member has the wrong type or bad base64.
result<std::optional<std::string>> value_member(const nlohmann::ordered_json& obj, const std::string& name,
                                                std::string_view where);

// With --auth-file: the 403 to answer when the request's token may not touch `key` (outside its
// prefixes); nullopt when it may, or when the server has no auth file.
std::optional<http::response> outside_scope(const http::request_context& ctx, std::string_view key);
// The same for every key a commit would read or write: refused whole if one is outside.
std::optional<http::response> outside_scope(const http::request_context& ctx, const store::commit_request& req);

// Decimal seconds with millisecond precision, for the KV-TTL header.
std::string format_seconds(std::int64_t ms);

}  // namespace livekv::handlers
