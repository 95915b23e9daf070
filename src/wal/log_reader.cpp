#include "livekv/wal/log_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "livekv/util/byte_coding.hpp"
#include "livekv/util/crc32c.hpp"
#include "livekv/wal/commit_codec.hpp"
#include "livekv/wal/data_dir.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/frame.hpp"

namespace livekv::wal {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t chunk_bytes = 1 << 20;

// An open file descriptor, closed on scope exit.
class reader_fd {
 public:
  explicit reader_fd(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~reader_fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  reader_fd(const reader_fd&) = delete;
  reader_fd& operator=(const reader_fd&) = delete;
  bool ok() const noexcept { return fd_ >= 0; }

  // Reads up to `n` bytes at `offset`; fewer at the end of the file.
  bool read_at(std::uint64_t offset, std::size_t n, std::string& out) const {
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd_, out.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return false;
      if (r == 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return true;
  }

 private:
  int fd_;
};

}  // namespace

std::vector<std::uint64_t> log_reader::segments() const {
  std::vector<std::uint64_t> revs;
  for (const auto& [rev, path] : list_data_files(dir_).segments) revs.push_back(rev);  // in order
  return revs;
}

std::optional<std::uint64_t> log_reader::first_revision() const {
  const auto revs = segments();
  if (revs.empty()) return std::nullopt;
  return revs.front();
}

status log_reader::read_after(std::uint64_t after_rev, std::size_t max_commits, std::size_t max_bytes,
                              log_position& pos, std::vector<store::replayed_commit>& out) const {
  const auto revs = segments();
  const auto gone = [&] {
    return status(errc::history_compacted, "the log no longer holds revision " + std::to_string(after_rev + 1));
  };
  if (revs.empty() || revs.front() > after_rev + 1) return gone();
  if (pos.segment == 0 || !std::binary_search(revs.begin(), revs.end(), pos.segment)) {
    // The segment holding after_rev + 1 is the last one starting at or before it.
    pos.segment = *std::prev(std::upper_bound(revs.begin(), revs.end(), after_rev + 1));
    pos.offset = 0;
  }
  std::size_t commits = 0;
  std::size_t bytes = 0;
  std::string buf;
  while (commits < max_commits && bytes < max_bytes) {
    const std::string path = (fs::path(dir_) / segment_name(pos.segment)).string();
    reader_fd fd(path);
    if (!fd.ok()) return errno == ENOENT ? gone() : status(errc::internal, path + ": " + std::strerror(errno));
    bool at_end = false;  // of what is written of this segment so far
    while (!at_end && commits < max_commits && bytes < max_bytes) {
      std::size_t requested = chunk_bytes;
      if (!fd.read_at(pos.offset, requested, buf)) return status(errc::internal, path + ": " + std::strerror(errno));
      std::size_t p = 0;
      while (commits < max_commits && bytes < max_bytes) {
        if (buf.size() - p < frame_header_bytes) break;
        util::byte_reader h(std::string_view(buf).substr(p, frame_header_bytes));
        const std::uint32_t header_crc = *h.fixed<std::uint32_t>();
        const std::uint32_t payload_crc = *h.fixed<std::uint32_t>();
        const std::uint32_t len = *h.fixed<std::uint32_t>();
        const auto damaged = [&](const char* what) {
          return status(errc::internal, path + " at offset " + std::to_string(pos.offset + p) + ": " + what);
        };
        if (util::crc32c_unmask(header_crc) != util::crc32c(std::string_view(buf).substr(p + 4, 9)))
          return damaged("frame header checksum mismatch");
        if (len > max_frame_payload) return damaged("frame longer than the maximum");
        if (buf.size() - p - frame_header_bytes < len) {
          // The frame runs past this chunk: read again from its start, big enough to hold it.
          if (p == 0 && buf.size() == requested) {
            requested = frame_header_bytes + len;
            if (!fd.read_at(pos.offset, requested, buf))
              return status(errc::internal, path + ": " + std::strerror(errno));
            continue;
          }
          break;
        }
        const std::string_view payload = std::string_view(buf).substr(p + frame_header_bytes, len);
        if (util::crc32c_unmask(payload_crc) != util::crc32c(payload)) return damaged("payload checksum mismatch");
        auto c = decode_commit(payload);
        if (!c) return damaged(c.error().message().c_str());
        p += frame_header_bytes + len;
        if (c->revision <= after_rev) continue;
        bytes += len;
        ++commits;
        after_rev = c->revision;
        out.push_back(std::move(*c));
      }
      // A chunk that ended without a whole frame is the end of what the writer has written.
      at_end = p == 0 || buf.size() < requested;
      pos.offset += p;
      if (p == 0) break;
    }
    if (commits >= max_commits || bytes >= max_bytes) break;
    // This segment is read to its end; a newer one continues the log.
    const auto next = std::upper_bound(revs.begin(), revs.end(), pos.segment);
    if (next == revs.end()) break;
    pos.segment = *next;
    pos.offset = 0;
  }
  return status::success();
}

}  // namespace livekv::wal
