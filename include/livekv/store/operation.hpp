#pragma once
// The unit of change: a commit request is a list of conditions and a list of operations. A single
// PUT or DELETE, an If-Match write, a CAS and a batch are all commit requests, so there is exactly
// one commit path (and, later, one log record kind and one feed event per commit).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "livekv/durability.hpp"
#include "livekv/store/entry.hpp"

namespace livekv::store {

struct condition {
  enum class kind : std::uint8_t {
    mod_revision,  // the key's mod_revision equals `revision` (0 = the key is absent)
    value_equals,  // the key exists and its bytes equal `bytes`
    exists,        // the key exists iff `present`
  };
  kind what = kind::exists;
  std::string key;
  std::uint64_t revision = 0;
  std::string bytes;
  bool present = true;
};

struct operation {
  // expire is issued only by the store's own sweeper: it removes a key whose deadline passed,
  // provided the key still has that life (mod_revision == expect_revision).
  enum class kind : std::uint8_t { put, erase, get, expire };
  kind what = kind::get;
  std::string key;
  value_ptr val;                   // put only
  std::int64_t ttl_ms = 0;         // put only: expire this long after the commit; 0 = never
  std::uint64_t expect_revision = 0;  // expire only
};

struct commit_request {
  // What the client asked for, so the log and the live feed can name it (a CAS is a conditional
  // put to the store, but its watchers want to see "cas").
  enum class kind : std::uint8_t { write, cas, batch };
  std::vector<condition> conditions;
  std::vector<operation> ops;
  kind origin = kind::write;
};

// What one operation found and did.
struct op_outcome {
  std::optional<entry> previous;  // the live entry before this op (the value, for get)
  bool created = false;           // put: the key did not exist (or had expired)
  bool changed = false;           // put: always; erase/expire: the key existed
  std::int64_t expires_at_ms = 0; // put: the absolute deadline given to the key, 0 = none
};

struct commit_outcome {
  // The revision the write took; for a commit that failed a condition or wrote nothing, the store
  // revision at which it was evaluated.
  std::uint64_t revision = 0;
  bool applied = false;
  std::optional<std::size_t> failed_condition;  // index into conditions, when !applied
  std::optional<entry> failed_current;          // that condition's key as it was
  std::vector<op_outcome> results;              // one per op, when applied
  // Acknowledge only once this is durable; empty when there is nothing to wait for. Also set when
  // the commit wrote nothing but was decided against writes not yet durable (--fsync always).
  durable_ticket durable;
  std::int64_t time_ms = 0;      // the commit's wall-clock time (the store clock), Unix ms
};

}  // namespace livekv::store
