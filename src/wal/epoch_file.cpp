#include "livekv/wal/epoch_file.hpp"

#include <filesystem>

#include "livekv/io/append_file.hpp"
#include "livekv/util/parse_uint.hpp"

namespace livekv::wal {

namespace fs = std::filesystem;

result<std::uint64_t> read_epoch(const std::string& dir) {
  const fs::path path = fs::path(dir) / epoch_file_name;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (ec) return status(errc::internal, "cannot look for " + path.string() + ": " + ec.message());
    return std::uint64_t{0};
  }
  auto text = io::read_whole_file(path.string());
  if (!text) return text.error();
  std::string_view digits(*text);
  if (digits.ends_with('\n')) digits.remove_suffix(1);
  const auto epoch = util::parse_uint<std::uint64_t>(digits);
  if (!epoch)
    return status(errc::internal, path.string() + " does not hold an epoch number (it holds '" +
                                      std::string(text->substr(0, 40)) + "')");
  return *epoch;
}

status write_epoch(const std::string& dir, std::uint64_t epoch) {
  const std::string path = (fs::path(dir) / epoch_file_name).string();
  const std::string tmp = path + ".tmp";
  {
    auto file = io::append_file::open(tmp, /*truncate=*/true);
    if (!file) return file.error();
    if (auto s = file->write_all(std::to_string(epoch) + "\n"); !s) return s;
    if (auto s = file->sync(); !s) return s;
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return status(errc::internal, "cannot rename " + tmp + " to " + path + ": " + ec.message());
  return io::fsync_dir(dir);
}

}  // namespace livekv::wal
