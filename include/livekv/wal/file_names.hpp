#pragma once
// Data-directory file names that carry a revision: "<prefix><20-digit zero-padded revision><suffix>",
// so that names sort in revision order ("wal-00000000000000000042.log", "snapshot-….snap").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace livekv::wal {

std::string numbered_name(std::string_view prefix, std::uint64_t revision, std::string_view suffix);
// The revision in `name`, or nullopt when `name` is not exactly prefix + 20 digits + suffix.
std::optional<std::uint64_t> parse_numbered_name(std::string_view name, std::string_view prefix,
                                                 std::string_view suffix);

// A log segment, named by the first revision it holds: "wal-00000000000000000042.log".
std::string segment_name(std::uint64_t first_revision);
std::optional<std::uint64_t> parse_segment_name(const std::string& name);
// A snapshot, named by the revision it starts at: "snapshot-00000000000000000042.snap".
std::string snapshot_name(std::uint64_t start_revision);
std::optional<std::uint64_t> parse_snapshot_name(const std::string& name);

}  // namespace livekv::wal
