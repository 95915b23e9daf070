#pragma once
// When the write-ahead log acknowledges a commit (--fsync). Its own small header so that config
// can name the policy without including the log writer.
#include <optional>
#include <string_view>

#include "livekv/util/enum_names.hpp"

namespace livekv::wal {

enum class fsync_policy {
  always,    // acknowledge after fdatasync; concurrent commits share one (group commit)
  everysec,  // acknowledge after write(2) (survives a crash of the process); fdatasync once a second
  no,        // acknowledge at once; write soon, let the OS decide when to sync
};

// The flag's spellings, in enumerator order (also what /status and the startup line print).
inline constexpr util::enum_names<fsync_policy, 3> fsync_policy_names{{"always", "everysec", "no"}};

// "always", "everysec" or "no".
constexpr std::string_view to_string(fsync_policy p) noexcept { return fsync_policy_names.to_string(p); }

// The inverse of to_string; nullopt for any other text.
constexpr std::optional<fsync_policy> parse_fsync_policy(std::string_view text) noexcept {
  return fsync_policy_names.parse(text);
}

}  // namespace livekv::wal
