#pragma once
#include <string>
#include <string_view>

namespace livekv::util {

// Standard base64 (RFC 4648 §4) with padding, used for binary values in JSON.
std::string base64_encode(std::string_view in);

}  // namespace livekv::util

#include <optional>

namespace livekv::util {

// Decodes standard base64 with padding; nullopt when the input is not canonical base64.
std::optional<std::string> base64_decode(std::string_view in);

}  // namespace livekv::util
