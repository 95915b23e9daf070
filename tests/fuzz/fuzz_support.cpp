#include "fuzz_support.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "livekv/wal/frame.hpp"

namespace livekv::fuzz {
namespace {

struct scratch {
  std::string path;
  scratch() {
    std::error_code ec;
    std::filesystem::path base = "/dev/shm";
    if (!std::filesystem::is_directory(base, ec)) base = std::filesystem::temp_directory_path();
    std::string pattern = (base / "livekv-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    path = pattern;
  }
  ~scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

const std::string& scratch_dir() {
  static const scratch dir;
  return dir.path;
}

void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

std::vector<std::string_view> split_chunks(std::string_view in) {
  std::vector<std::string_view> chunks;
  for (;;) {
    const auto at = in.find(chunk_separator);
    chunks.push_back(in.substr(0, at));
    if (at == std::string_view::npos) return chunks;
    in.remove_prefix(at + chunk_separator.size());
  }
}

std::string frame_chunks(std::string_view in) {
  std::string out;
  for (const auto chunk : split_chunks(in)) {
    if (chunk.empty()) continue;
    wal::append_frame(out, static_cast<wal::frame_type>(static_cast<unsigned char>(chunk[0])), chunk.substr(1));
  }
  return out;
}

std::string chunks_of_frames(std::string_view frames) {
  std::string out;
  wal::frame_reader reader(frames);
  wal::frame f;
  while (reader.next(f) == wal::frame_reader::result::ok) {
    if (!out.empty()) out += chunk_separator;
    out.push_back(static_cast<char>(f.type));
    out += f.payload;
  }
  return out;
}

}  // namespace livekv::fuzz
