#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "livekv/status.hpp"

namespace livekv::io {

// A file opened for appending, with the durability primitives the log and snapshots need.
// Retries on EINTR and short writes. Move-only; closes on destruction. Not thread-safe.
class append_file {
 public:
  // Creates the file if needed; `truncate` empties it first. Errors (here and below): errc::no_space
  // for a full disk, else errc::storage_failed, with the errno text.
  static result<append_file> open(const std::string& path, bool truncate = false);

  append_file(append_file&& o) noexcept;
  append_file& operator=(append_file&& o) noexcept;
  append_file(const append_file&) = delete;
  append_file& operator=(const append_file&) = delete;
  ~append_file();

  status write_all(std::string_view data);
  status sync();  // fdatasync: the data and the size, not the mtime
  // Cuts the file to `size` bytes; later writes append from there. Not synced.
  status truncate(std::uint64_t size);
  std::uint64_t size() const noexcept { return size_; }
  const std::string& path() const noexcept { return path_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  void close() noexcept;

 private:
  append_file(int fd, std::string path, std::uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  int fd_ = -1;
  std::string path_;
  std::uint64_t size_ = 0;
};

// fsync on a directory, so that a file created or renamed in it survives a power loss.
status fsync_dir(const std::string& dir);

// Reads a whole file: reads until end of file rather than trusting its size, so /proc files (which
// report size 0) read whole too. Retries on EINTR. Errors: errc::storage_failed with the path and
// the errno text.
result<std::string> read_whole_file(const std::string& path);

// Shrinks a file to `size` bytes (dropping a torn tail) and syncs it.
status truncate_file(const std::string& path, std::uint64_t size);

}  // namespace livekv::io
