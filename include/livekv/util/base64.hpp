#pragma once
#include <string>
#include <string_view>

namespace livekv::util {

// Standard base64 (RFC 4648 §4) with padding, used for binary values in JSON.
std::string base64_encode(std::string_view in);

}  // namespace livekv::util
