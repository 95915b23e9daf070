#include "livekv/wal/frame.hpp"

#include "livekv/util/byte_coding.hpp"
#include "livekv/util/crc32c.hpp"

namespace livekv::wal {

using util::crc32c;
using util::crc32c_mask;

void append_frame(std::string& out, frame_type type, std::string_view payload) {
  std::string tail;  // payload_crc ‖ length ‖ type: what header_crc covers
  tail.reserve(9);
  util::put_fixed<std::uint32_t>(tail, crc32c_mask(crc32c(payload)));
  util::put_fixed<std::uint32_t>(tail, static_cast<std::uint32_t>(payload.size()));
  tail.push_back(static_cast<char>(type));
  util::put_fixed<std::uint32_t>(out, crc32c_mask(crc32c(tail)));
  out.append(tail);
  out.append(payload);
}

bool frame_reader::valid_at(std::uint64_t pos, std::uint32_t* length, std::string* why) const {
  const std::uint64_t rest = data_.size() - pos;
  if (rest < frame_header_bytes) {
    if (why) *why = "incomplete frame header";
    return false;
  }
  util::byte_reader r(data_.substr(pos, frame_header_bytes));
  const std::uint32_t header_crc = *r.fixed<std::uint32_t>();
  const std::uint32_t payload_crc = *r.fixed<std::uint32_t>();
  const std::uint32_t len = *r.fixed<std::uint32_t>();
  if (util::crc32c_unmask(header_crc) != crc32c(data_.substr(pos + 4, 9))) {
    if (why) *why = "frame header checksum mismatch";
    return false;
  }
  if (len > max_frame_payload || len > rest - frame_header_bytes) {
    if (why) *why = "frame runs past the end of the file";
    return false;
  }
  if (util::crc32c_unmask(payload_crc) != crc32c(data_.substr(pos + frame_header_bytes, len))) {
    if (why) *why = "payload checksum mismatch";
    return false;
  }
  *length = len;
  return true;
}

std::uint64_t frame_reader::next_valid_after(std::uint64_t pos) const {
  std::uint32_t len = 0;
  for (std::uint64_t p = pos + 1; p + frame_header_bytes <= data_.size(); ++p)
    if (valid_at(p, &len, nullptr)) return p;
  return data_.size();
}

frame_reader::result frame_reader::next(frame& out) {
  if (offset_ == data_.size()) return result::end;
  std::uint32_t len = 0;
  if (!valid_at(offset_, &len, &reason_)) {
    return next_valid_after(offset_) == data_.size() ? result::torn_tail : result::corrupt;
  }
  out.type = static_cast<frame_type>(static_cast<unsigned char>(data_[offset_ + 12]));
  out.payload = data_.substr(offset_ + frame_header_bytes, len);
  out.offset = offset_;
  offset_ += frame_header_bytes + len;
  return result::ok;
}

std::uint64_t frame_reader::frames_after_damage() const {
  std::uint64_t count = 0;
  std::uint64_t p = next_valid_after(offset_);
  std::uint32_t len = 0;
  while (p < data_.size()) {
    if (valid_at(p, &len, nullptr)) {
      ++count;
      p += frame_header_bytes + len;
    } else {
      p = next_valid_after(p);
    }
  }
  return count;
}

void frame_reader::skip_damage() { offset_ = next_valid_after(offset_); }

}  // namespace livekv::wal
