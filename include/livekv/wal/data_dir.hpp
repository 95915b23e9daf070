#pragma once
// What a data directory holds, read in one scan: the one place that lists it (recovery, the
// snapshot's clean-up of what it covers, the log reader's and the log writer's segment lists).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace livekv::wal {

struct data_files {
  std::map<std::uint64_t, std::string> snapshots;  // start revision → path ("snapshot-<rev>.snap")
  std::map<std::uint64_t, std::string> segments;   // first revision → path ("wal-<rev>.log")
  std::vector<std::string> temporaries;            // paths ending ".tmp": writes a crash interrupted
};

// Lists `dir` (not its subdirectories). Other names are skipped. A directory that is missing or
// cannot be read lists as what was read before the error, empty at worst: callers that need the
// directory fail on their own open of it, with the path in their message. Files may be deleted or
// created meanwhile (a snapshot cleans up on another thread): callers that stat a listed path
// must allow for it being gone. Thread-safe (reads the directory only).
data_files list_data_files(const std::string& dir);

}  // namespace livekv::wal
