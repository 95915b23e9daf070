#include "livekv/wal/data_dir.hpp"

#include <filesystem>

#include "livekv/wal/file_names.hpp"

namespace livekv::wal {

namespace fs = std::filesystem;

data_files list_data_files(const std::string& dir) {
  data_files out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (auto r = parse_snapshot_name(name)) out.snapshots[*r] = it->path().string();
    if (auto r = parse_segment_name(name)) out.segments[*r] = it->path().string();
    if (it->path().extension() == ".tmp") out.temporaries.push_back(it->path().string());
  }
  return out;
}

}  // namespace livekv::wal
