#pragma once
// What every live-feed event must look like (docs: feed-spec "Events"), shared by the WebSocket and
// SSE tests: the members each kind of event carries, and the ordering promises a subscriber can
// check on its own stream (strictly increasing revisions; nothing at or below a progress bookmark
// after it).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "support/http_client.hpp"

namespace livekv::test {

// The write kinds: events that carry "rev" and "ts" and can be replayed with since=.
bool is_write_op(std::string_view op);

// True when `event` is an object with every member its "op" promises, of the right JSON type:
// put/cas (key, rev, ts, size, version, and exactly one of value / value_base64 / truncated:true),
// delete (key, rev, ts), expire (key, rev, ts, prev), batch (rev, ts, ops), get (key, ts, client,
// found, no rev), list (prefix, ts, client, count, no rev), progress (rev), pong (rev),
// overflow (last_rev), error (detail). A "prev" member, when present, must be a value object
// (size, mod_rev, and value / value_base64 / truncated).
testing::AssertionResult is_well_formed_event(const nlohmann::json& event);

// Unix time in milliseconds, as the feed's "ts" and "expires_at" count it.
std::int64_t unix_ms_now();

// Follows one subscriber's stream and checks its ordering promises as events arrive.
class feed_order {
 public:
  // Records `event`; a failure when it breaks a promise: a write event whose rev is not above the
  // previous write event's, or not above a progress bookmark already received.
  testing::AssertionResult add(const nlohmann::json& event);
  // The rev of the last write event (0 before any).
  std::uint64_t last_rev() const noexcept { return last_rev_; }
  // The highest progress bookmark received (0 before any).
  std::uint64_t progress() const noexcept { return progress_; }

 private:
  std::uint64_t last_rev_ = 0;
  std::uint64_t progress_ = 0;
};

// Writes for feed tests, each returning the revision of its commit (0, with a recorded failure,
// when the server did not accept it). `query` is appended to the key's path, e.g. "?ttl=100".
std::uint64_t put_key(http_client& client, std::string_view key, std::string value, std::string_view query = "");
std::uint64_t delete_key(http_client& client, std::string_view key);
// POST /v1/cas/{key} with `body`; the revision of a successful swap.
std::uint64_t cas_key(http_client& client, std::string_view key, const nlohmann::json& body);
// POST /v1/batch with `body`; the batch's revision.
std::uint64_t batch_write(http_client& client, const nlohmann::json& body);

}  // namespace livekv::test
