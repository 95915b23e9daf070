#include "livekv/io/append_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace livekv::io {
namespace {

// A full disk is its own error (507 to a client that asked for a snapshot, and a log that can
// resume once space is freed); any other failure of the disk is not a bug of ours either.
status sys_error(const std::string& what, const std::string& path) {
  const errc code = errno == ENOSPC || errno == EDQUOT ? errc::no_space : errc::storage_failed;
  return {code, what + " " + path + ": " + std::strerror(errno)};
}

}  // namespace

result<append_file> append_file::open(const std::string& path, bool truncate) {
  const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  int fd;
  do fd = ::open(path.c_str(), flags, 0644);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return sys_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto s = sys_error("cannot stat", path);
    ::close(fd);
    return s;
  }
  return append_file(fd, path, static_cast<std::uint64_t>(st.st_size));
}

append_file::append_file(append_file&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)), size_(o.size_) { o.fd_ = -1; }

append_file& append_file::operator=(append_file&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    size_ = o.size_;
    o.fd_ = -1;
  }
  return *this;
}

append_file::~append_file() { close(); }

void append_file::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

status append_file::write_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("cannot write", path_);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    size_ += static_cast<std::uint64_t>(n);
  }
  return status::success();
}

status append_file::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return sys_error("cannot truncate", path_);
  size_ = size;
  return status::success();
}

status append_file::sync() {
  int rc;
  do rc = ::fdatasync(fd_);
  while (rc != 0 && errno == EINTR);
  // After a failed fsync the page cache state is unknown (the "fsyncgate" lesson): callers must
  // treat the log as failed, never retry and carry on.
  if (rc != 0) return sys_error("cannot fsync", path_);
  return status::success();
}

status fsync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("cannot open directory", dir);
  int rc;
  do rc = ::fsync(fd);
  while (rc != 0 && errno == EINTR);
  const status s = rc == 0 ? status::success() : sys_error("cannot fsync directory", dir);
  ::close(fd);
  return s;
}

result<std::string> read_whole_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error("cannot open", path);
  std::string out;
  struct stat st {};
  if (::fstat(fd, &st) == 0) out.reserve(static_cast<std::size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto s = sys_error("cannot read", path);
      ::close(fd);
      return s;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

status truncate_file(const std::string& path, std::uint64_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sys_error("cannot open", path);
  status s = status::success();
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fsync(fd) != 0) s = sys_error("cannot truncate", path);
  ::close(fd);
  return s;
}

}  // namespace livekv::io
