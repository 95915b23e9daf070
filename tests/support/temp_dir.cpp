#include "support/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace livekv::test {

temp_dir::temp_dir() {
  // mkdtemp picks the name and creates the directory in one step, so two tests (or two test
  // processes run by `ctest -j`) can never share a directory.
  std::string pattern = "/tmp/livekv-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp(/tmp/livekv-test-XXXXXX) failed: " + std::string(std::strerror(errno)));
  path_ = pattern;
}

temp_dir::~temp_dir() { remove(); }

temp_dir::temp_dir(temp_dir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

temp_dir& temp_dir::operator=(temp_dir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void temp_dir::remove() noexcept {
  if (path_.empty()) return;
  // Best effort: a leftover directory in /tmp must not turn a passing test into a crash.
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace livekv::test
