#pragma once
// The tokens of --auth-file: who may do what, and to which keys. Built once from the file (and
// again on SIGHUP); immutable after, so any thread may read it without a lock.
//
// The file is a JSON array of entries:
//   [{"name": "ci", "token_sha256": "<64 hex>", "roles": ["read", "write"], "prefixes": ["app/"]}]
// name: unique, shown in logs instead of the token; token_sha256: the SHA-256 of the token (the
// file never holds a token); roles: read (GET, HEAD, list, watch, long-poll, feed), write (PUT,
// DELETE, CAS, batch), admin (snapshot, /status config, the read-audit stream, /metrics);
// prefixes: the keys the token may touch, omitted or [""] for every key.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/auth/token_hash.hpp"
#include "livekv/status.hpp"

namespace livekv::auth {

enum class role : std::uint8_t { read = 1, write = 2, admin = 4 };

// Which part of a listing's prefix a principal may see.
enum class listing_scope : std::uint8_t {
  all,      // the whole prefix lies inside one of its prefixes
  partial,  // only some keys under it (a scope prefix lies inside the listing's): filter each key
  none,     // nothing under it
};

// One entry of the file: a named token's rights.
class principal {
 public:
  principal(std::string name, sha256_digest hash, std::uint8_t roles, std::vector<std::string> prefixes);

  const std::string& name() const noexcept { return name_; }
  const sha256_digest& hash() const noexcept { return hash_; }
  bool may(role r) const noexcept { return (roles_ & static_cast<std::uint8_t>(r)) != 0; }
  // True when `key` starts with one of the principal's prefixes.
  bool covers(std::string_view key) const noexcept;
  listing_scope scope_of(std::string_view listing_prefix) const noexcept;
  const std::vector<std::string>& prefixes() const noexcept { return prefixes_; }
  // True when the principal may touch every key (a prefix "" among its prefixes).
  bool unrestricted() const noexcept;
  std::uint8_t roles() const noexcept { return roles_; }

 private:
  std::string name_;
  sha256_digest hash_;
  std::uint8_t roles_;
  std::vector<std::string> prefixes_;  // never empty; "" covers every key
};

class token_table {
 public:
  // Parses the file's text; `source` names it in errors. Errors: errc::bad_request with the
  // source, the line (for JSON syntax) or the entry (for its content), and what is wrong.
  static result<token_table> parse(std::string_view text, std::string_view source);
  // Reads and parses `path`. Errors: as parse(), or the file cannot be read.
  static result<token_table> load(const std::string& path);

  // The principal whose token hashes to the same digest, or null. Compares with every entry, each
  // in constant time, so the time taken does not depend on which entry (if any) matches.
  const principal* authenticate(std::string_view token) const;
  // The principal whose token has the digest `h`, or null; constant time as authenticate().
  const principal* find(const sha256_digest& h) const;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::vector<principal> entries_;
};

}  // namespace livekv::auth
