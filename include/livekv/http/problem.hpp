#pragma once
// The ONE table that maps a status code to an HTTP status and an RFC 9457 problem+json body.
#include <nlohmann/json_fwd.hpp>
#include <string_view>

#include "livekv/http/types.hpp"
#include "livekv/status.hpp"

namespace livekv::http {

struct problem_kind {
  http::status_code http_status;
  std::string_view code;   // stable snake_case, part of the API
  std::string_view title;  // short, human
};

const problem_kind& problem_for(errc code) noexcept;

// A complete problem+json response. `extra` members (an object, or null) are merged into the body.
response make_problem(errc code, std::string_view detail, unsigned version, const nlohmann::ordered_json* extra = nullptr);
inline response make_problem(const status& s, unsigned version) {
  return make_problem(s.code(), s.message(), version);
}

}  // namespace livekv::http
