#pragma once
// The auth file in force: who a bearer token is, and whether it may do what a route needs. The
// table is swapped whole by reload() (SIGHUP); a principal handed out keeps the table it came
// from alive, so a request or a stream admitted before a reload keeps a valid principal, and a
// stream learns of the reload by generation() and asks recheck() whether it may go on.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "livekv/auth/token_table.hpp"
#include "livekv/status.hpp"
#include "livekv/util/mutex.hpp"
#include "livekv/util/thread_annotations.hpp"

namespace livekv::auth {

using principal_ptr = std::shared_ptr<const principal>;

// A stream's standing after a reload.
enum class standing : std::uint8_t {
  unchanged,  // same token, same roles and prefixes: go on
  revoked,    // the token is no longer in the file (401, WebSocket close 4401)
  lost_role,  // it lacks the role the stream needs (403, close 4403)
  rescoped,   // its prefixes changed: the stream's filter is stale (403, close 4403; reconnect)
};

class gate {
 public:
  // Without an auth file: enabled() is false, and nothing else may be called until open().
  gate() = default;
  gate(const gate&) = delete;
  gate& operator=(const gate&) = delete;

  // Reads `path` and enables the gate; once, before any request (errors: as token_table::load:
  // file, line or entry, and reason; the gate stays disabled).
  status open(std::string path);
  bool enabled() const noexcept { return enabled_; }

  // Reads the file again. On success the new table is in force for every request from now on and
  // generation() changes; on error (the reason, naming the file) the old table stays in force.
  // Thread-safe.
  status reload();
  // Changes with every successful reload. Thread-safe, lock-free.
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }

  // Who presents `token` (nullopt: none was sent), if they may act as `needed` (nullopt: any
  // known token will do). Errors: unauthorized (no token, or one the file does not know),
  // forbidden (a known token without the role). Thread-safe.
  result<principal_ptr> admit(std::optional<std::string_view> token, std::optional<role> needed) const;
  // Whether `who`, admitted under an earlier table, may still act as `needed` under the one in
  // force. Thread-safe.
  standing recheck(const principal& who, role needed) const;

  std::size_t size() const;

 private:
  std::shared_ptr<const token_table> current() const;

  std::string path_;   // set by open(), then constant
  bool enabled_ = false;  // set by open(), then constant
  mutable util::mutex mutex_;  // guards table_ (held only to copy or swap the pointer)
  std::shared_ptr<const token_table> table_ LIVEKV_GUARDED_BY(mutex_);
  std::atomic<std::uint64_t> generation_{1};
};

// The word for a role in messages ("read", "write", "admin").
std::string_view role_name(role r) noexcept;

}  // namespace livekv::auth
