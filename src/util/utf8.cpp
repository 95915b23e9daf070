#include "livekv/util/utf8.hpp"

#include <cstdint>

namespace livekv::util {
namespace {

// Decodes one code point at s[i]; returns its length, or 0 when the sequence is malformed.
// Follows the table of well-formed byte sequences in Unicode ch. 3 (D92).
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) noexcept {
  const auto b0 = static_cast<std::uint8_t>(s[i]);
  if (b0 < 0x80) { cp = b0; return 1; }
  std::size_t len = 0;
  std::uint8_t lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) { len = 2; cp = b0 & 0x1Fu; }
  else if (b0 == 0xE0) { len = 3; lo = 0xA0; cp = b0 & 0x0Fu; }
  else if (b0 == 0xED) { len = 3; hi = 0x9F; cp = b0 & 0x0Fu; }  // no surrogates
  else if (b0 >= 0xE1 && b0 <= 0xEF) { len = 3; cp = b0 & 0x0Fu; }
  else if (b0 == 0xF0) { len = 4; lo = 0x90; cp = b0 & 0x07u; }
  else if (b0 >= 0xF1 && b0 <= 0xF3) { len = 4; cp = b0 & 0x07u; }
  else if (b0 == 0xF4) { len = 4; hi = 0x8F; cp = b0 & 0x07u; }
  else return 0;
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<std::uint8_t>(s[i + k]);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return len;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    // ASCII fast path: most keys and many values are plain ASCII.
    if (static_cast<std::uint8_t>(s[i]) < 0x80) { ++i; continue; }
    char32_t cp = 0;
    const std::size_t n = decode(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool is_printable_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = decode(s, i, cp);
    if (n == 0) return false;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return false;
    i += n;
  }
  return true;
}

}  // namespace livekv::util
