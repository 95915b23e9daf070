#pragma once
// Request-target handling (RFC 3986): split, percent-decode, parse the query. '+' is a literal plus
// sign everywhere (it is not form encoding), so a key "a+b" round-trips; encode a space as %20.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "livekv/status.hpp"

namespace livekv::http {

// Decodes %XX escapes; nullopt when an escape is malformed (truncated or not hex).
std::optional<std::string> percent_decode(std::string_view s);

// Percent-encodes everything but RFC 3986 unreserved characters and '/'.
std::string percent_encode_path(std::string_view s);

struct target {
  std::string_view path;   // raw, still percent-encoded
  std::string_view query;  // raw, without the '?'
};
target split_target(std::string_view t) noexcept;

using query_params = std::vector<std::pair<std::string, std::string>>;

// Parses "a=1&b=&c" into decoded pairs, in order. Errors: errc::bad_query on a bad escape.
result<query_params> parse_query(std::string_view q);

}  // namespace livekv::http
