#pragma once
#include <nlohmann/json_fwd.hpp>

#include "livekv/http/types.hpp"

namespace livekv::http {

// A JSON response with the given status. Invalid UTF-8 in strings is replaced, never thrown on.
response make_json(http::status_code s, const nlohmann::ordered_json& body, unsigned version);

}  // namespace livekv::http
