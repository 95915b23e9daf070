#pragma once
// The one parser of unsigned decimal integers in text (flags, query parameters, entity tags,
// /proc fields, file names), so that they all accept exactly the same spellings.
#include <charconv>
#include <concepts>
#include <optional>
#include <string_view>
#include <system_error>

namespace livekv::util {

// All of `text` as an unsigned decimal number of type T: digits only (no sign, space, prefix or
// suffix; leading zeros are fine). nullopt when `text` is empty, holds anything else, or the
// number does not fit in T. Pure; any thread.
template <std::unsigned_integral T>
inline std::optional<T> parse_uint(std::string_view text) noexcept {
  T v = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || p != end) return std::nullopt;
  return v;
}

}  // namespace livekv::util
