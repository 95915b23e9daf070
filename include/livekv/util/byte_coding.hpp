#pragma once
// Fixed-width little-endian integers in byte strings: the on-disk formats are defined in these
// terms so that they do not depend on the host's byte order or struct layout.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace livekv::util {

template <typename T>
inline void put_fixed(std::string& out, T v) {
  static_assert(std::is_unsigned_v<T>);
  char buf[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xffu);
  out.append(buf, sizeof(T));
}

inline void put_bytes32(std::string& out, std::string_view s) {
  put_fixed<std::uint32_t>(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

// Reads from the front of `in`, advancing it; nullopt (and `in` unspecified) when too short.
class byte_reader {
 public:
  explicit byte_reader(std::string_view in) : in_(in) {}

  template <typename T>
  std::optional<T> fixed() {
    if (in_.size() < sizeof(T)) return std::nullopt;
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<unsigned char>(in_[i])) << (8 * i);
    in_.remove_prefix(sizeof(T));
    return v;
  }
  std::optional<std::string_view> bytes(std::size_t n) {
    if (in_.size() < n) return std::nullopt;
    auto s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  std::optional<std::string_view> bytes32() {
    auto n = fixed<std::uint32_t>();
    if (!n) return std::nullopt;
    return bytes(*n);
  }
  bool empty() const noexcept { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace livekv::util
