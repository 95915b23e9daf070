#pragma once
#include <filesystem>

namespace livekv::test {

// A fresh, uniquely named directory under /tmp, removed with everything in it by the destructor.
// Construction aborts the test (gtest fatal failure in a void context is not possible here, so it
// throws std::runtime_error) only when /tmp itself is unusable.
// Not copyable: exactly one owner removes the directory. Movable, so fixtures may hold one by value.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  temp_dir(temp_dir&& other) noexcept;
  temp_dir& operator=(temp_dir&& other) noexcept;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& child) const { return path_ / child; }

 private:
  void remove() noexcept;

  std::filesystem::path path_;  // empty once moved from
};

}  // namespace livekv::test
