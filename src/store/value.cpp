#include "livekv/store/value.hpp"

#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

namespace livekv::store {

static_assert(sizeof(value) == 12, "value header: refcount, content type size, byte size (4 B each)");

value_ptr make_value(std::string_view bytes, std::string_view content_type) {
  constexpr std::size_t max = std::numeric_limits<std::uint32_t>::max();
  if (bytes.size() > max) throw std::length_error("livekv::store::make_value: value too long");
  if (content_type.size() > max) throw std::length_error("livekv::store::make_value: content type too long");
  // operator new returns memory aligned for any fundamental type, so the header sits at the start
  // and the character tail needs no alignment of its own.
  void* block = ::operator new(sizeof(value) + bytes.size() + content_type.size());
  auto* v = new (block) value(static_cast<std::uint32_t>(bytes.size()), static_cast<std::uint32_t>(content_type.size()));
  char* tail = static_cast<char*>(block) + sizeof(value);
  // memcpy with a null source is undefined even for zero bytes, and an empty view may be null.
  if (!bytes.empty()) std::memcpy(tail, bytes.data(), bytes.size());
  if (!content_type.empty()) std::memcpy(tail + bytes.size(), content_type.data(), content_type.size());
  return value_ptr(v);
}

void value::destroy(const value* v) noexcept {
  v->~value();
  ::operator delete(const_cast<value*>(v));
}

}  // namespace livekv::store
