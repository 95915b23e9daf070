#pragma once
#include <string_view>

namespace livekv::util {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// True when `s` is valid UTF-8 and contains no control character (C0, DEL or C1).
bool is_printable_utf8(std::string_view s) noexcept;

}  // namespace livekv::util
