#pragma once
// The data directory's epoch: a decimal number and a newline in the file `epoch`.
//
// Revisions never go backwards, not even when recovery drops data (--repair) or sets it aside
// (--discard-data): the store then continues past every revision the dropped files hold. The
// epoch is raised at the same moment, so an operator or a client can tell that revisions before
// the jump belong to data that is gone. A directory without the file is at epoch 0.
#include <cstdint>
#include <string>

#include "livekv/status.hpp"

namespace livekv::wal {

inline constexpr const char* epoch_file_name = "epoch";

// The epoch recorded in `dir`; 0 when there is no epoch file.
// Errors: errc::internal when the file cannot be read or does not hold a number.
result<std::uint64_t> read_epoch(const std::string& dir);

// Records `epoch` in `dir` atomically: writes epoch.tmp, fsyncs it, renames it over `epoch` and
// fsyncs the directory, so a crash leaves either the old number or the new one.
// Errors: errc::internal naming the file and the failed step.
status write_epoch(const std::string& dir, std::uint64_t epoch);

}  // namespace livekv::wal
