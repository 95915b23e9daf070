#pragma once
#include <cstdint>
#include <string_view>

namespace livekv::util {

// CRC-32C (Castagnoli), as used by iSCSI, ext4 and LevelDB. Uses the SSE4.2 instruction when the
// CPU has it, a table otherwise. `extend` continues a running checksum.
std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view data) noexcept;
inline std::uint32_t crc32c(std::string_view data) noexcept { return crc32c_extend(0, data); }

// A CRC stored next to the data it covers is masked, so that a CRC of data that itself holds CRCs
// (a record inside a snapshot) does not degenerate (LevelDB's trick).
inline std::uint32_t crc32c_mask(std::uint32_t crc) noexcept { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline std::uint32_t crc32c_unmask(std::uint32_t m) noexcept {
  const std::uint32_t rot = m - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace livekv::util
