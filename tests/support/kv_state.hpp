#pragma once
// The whole store as a client sees it, read over the API: for tests that compare the state before
// and after a restart, or check what survived a crash. Also the small request helpers those tests
// share (JSON POSTs, /status) and bounded polling for outcomes that have no event to wait on.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "support/http_client.hpp"

namespace livekv::test {

// One key as GET /v1/kv?values=true lists it.
struct kv_item {
  std::string value;  // the text of "value", or of "value_base64" when `base64` is set
  bool base64 = false;
  std::uint64_t create_revision = 0;
  std::uint64_t mod_revision = 0;
  std::uint64_t version = 0;
  std::optional<std::int64_t> expires_at_ms;

  bool operator==(const kv_item&) const = default;
};
std::ostream& operator<<(std::ostream& os, const kv_item& item);

struct kv_state {
  std::uint64_t revision = 0;  // the store revision /status reports after the listing
  std::map<std::string, kv_item> items;
};

// Lists every key under `prefix` (all pages, with values) and then reads the revision from /status.
// Meant for a store nobody writes to meanwhile. Failures are recorded with ADD_FAILURE; the result
// then holds what could be read.
kv_state read_state(http_client& client, std::string_view prefix = "");

// Equal revisions and equal items; otherwise a message naming the first differences.
testing::AssertionResult same_state(const kv_state& expected, const kv_state& actual);

// GET /status as JSON; a discarded value (and a recorded failure) when it is not a 200 JSON object.
nlohmann::json status_json(http_client& client);

// POST with `body` serialized as the request body and Content-Type: application/json.
http_response post_json(http_client& client, std::string_view target, const nlohmann::json& body);

// Calls `done` until it returns true or `timeout` has passed, pausing `interval` between calls: the
// one sanctioned use of a pause, for an outcome that has no event to wait on (an expiry, a
// background snapshot). Returns the last answer of `done`.
bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(10));

}  // namespace livekv::test
