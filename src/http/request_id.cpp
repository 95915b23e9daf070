#include "livekv/http/request_id.hpp"

#include <atomic>
#include <cstdint>
#include <charconv>
#include <random>

namespace livekv::http {

std::string make_request_id() {
  static const std::uint32_t prefix = std::random_device{}();
  static std::atomic<std::uint64_t> counter{0};
  // "%08x-%llx", formatted by hand: this runs once per request, and snprintf's format parsing
  // showed up in the profile of a GET (1 %).
  char buf[32];
  char* p = buf;
  for (int shift = 28; shift >= 0; shift -= 4) *p++ = "0123456789abcdef"[(prefix >> shift) & 0xf];
  *p++ = '-';
  p = std::to_chars(p, buf + sizeof buf, counter.fetch_add(1, std::memory_order_relaxed), 16).ptr;
  return std::string(buf, p);
}

bool is_sane_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 128) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace livekv::http
