#pragma once
#include <cstdint>

#include "livekv/store/value.hpp"

namespace livekv::store {

// What the store keeps per key.
struct entry {
  value_ptr val;
  std::uint64_t create_revision = 0;  // revision of the write that created the key
  std::uint64_t mod_revision = 0;     // revision of the last write to the key
  std::uint64_t version = 0;          // writes since creation (1 after the creating put)
  std::int64_t expires_at_ms = 0;     // Unix ms after which the key is gone; 0 = never

  bool expired_at(std::int64_t now_ms) const noexcept { return expires_at_ms != 0 && now_ms >= expires_at_ms; }
};

}  // namespace livekv::store
