#pragma once
#include <cstddef>
#include <string_view>

#include "livekv/status.hpp"

namespace livekv::store {

// A key is 1..max_bytes bytes of UTF-8 without control characters. Keys are compared as bytes and
// never normalized: "a//b" and "a/b/" are keys of their own.
// Errors: errc::bad_key (empty, invalid UTF-8, control character), errc::key_too_long.
status validate_key(std::string_view key, std::size_t max_bytes);

}  // namespace livekv::store
