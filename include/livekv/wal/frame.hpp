#pragma once
// Framing shared by log segments and snapshot files (docs/storage.md has the full story).
//
//   file        := frame*
//   frame       := header_crc:u32 payload_crc:u32 length:u32 type:u8 payload[length]
//   header_crc  := mask(crc32c(payload_crc ‖ length ‖ type))
//   payload_crc := mask(crc32c(payload))
//
// Integers are little-endian; length ≤ max_frame_payload. The header has its own checksum so that a
// damaged length is caught before it is trusted: a reader never skips or reads past EOF on the
// word of a corrupt header.
#include <cstdint>
#include <string>
#include <string_view>

namespace livekv::wal {

enum class frame_type : std::uint8_t {
  commit = 1,           // one committed write (log segments)
  snapshot_header = 2,  // snapshot files
  snapshot_entries = 3,
  snapshot_footer = 4,
};

inline constexpr std::size_t frame_header_bytes = 13;
inline constexpr std::uint32_t max_frame_payload = 64u << 20;

// Appends one frame holding `payload` to `out`.
void append_frame(std::string& out, frame_type type, std::string_view payload);

struct frame {
  frame_type type{};
  std::string_view payload;
  std::uint64_t offset = 0;  // of the frame's first byte in the file
};

// Reads frames from a file's bytes. On damage it tells the two cases apart:
//  - torn tail: no valid frame starts anywhere after the damage (a crash cut the last write short,
//    or the file system left zeros); everything before `offset()` is good.
//  - corrupt: a valid frame exists after the damage, so records in the middle were lost or altered.
class frame_reader {
 public:
  enum class result { ok, end, torn_tail, corrupt };

  explicit frame_reader(std::string_view data) : data_(data) {}
  result next(frame& out);
  std::uint64_t offset() const noexcept { return offset_; }  // where reading stopped (the damage)
  const std::string& reason() const noexcept { return reason_; }
  // After `corrupt`: how many valid frames follow the damage (what a repair would drop).
  std::uint64_t frames_after_damage() const;
  // After `corrupt`: moves past the damage to the next valid frame, so that next() reads what
  // follows it. For finding out what a damaged file still holds, never for replaying it.
  void skip_damage();

 private:
  bool valid_at(std::uint64_t pos, std::uint32_t* length, std::string* why) const;
  std::uint64_t next_valid_after(std::uint64_t pos) const;

  std::string_view data_;
  std::uint64_t offset_ = 0;
  std::string reason_;
};

}  // namespace livekv::wal
