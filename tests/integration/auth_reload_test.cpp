// SIGHUP reloads --auth-file: a token added works, one removed gets 401; an open stream whose
// token was removed ends with {"op":"revoked","code":4401} and WebSocket close 4401 (SSE: an
// `event: revoked` block, then the connection closes), one whose token lost its role or whose
// prefixes changed ends the same way with 4403, and one whose entry is unchanged goes on. A file
// broken on reload keeps the tokens in force.
#include <gtest/gtest.h>

#include <csignal>
#include <string>
#include <vector>

#include "support/auth_file.hpp"
#include "support/kv_state.hpp"
#include "support/server_fixture.hpp"
#include "support/sse_reader.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Bounds the wait for what a reload changes; the server promises about a second.
constexpr std::chrono::milliseconds reload_deadline{10'000};

const token_entry root{"root", {"read", "write", "admin"}};
const token_entry watcher{"watcher", {"read"}, {"app/"}};
const token_entry bystander{"bystander", {"read"}, {"app/"}};

class auth_reload_test : protected auth_file, public server_test {
 protected:
  auth_reload_test()
      : auth_file({root, watcher, bystander}), server_test({"--auth-file", auth_path().string()}) {}

  // Rewrites the file and sends SIGHUP.
  void reload(const std::vector<token_entry>& entries) {
    rewrite(entries);
    ASSERT_TRUE(server_.send_signal(SIGHUP));
  }
  // Waits until `name`'s requests get `status` (the reload is in force).
  bool wait_for_status(const std::string& name, int status) {
    return poll_until([&] { return client().get("/v1/kv?prefix=app/", bearer(name)).status == status; },
                      reload_deadline);
  }

  std::unique_ptr<ws_client> open_ws(const std::string& name, const std::string& query = "?prefix=app/") {
    auto ws = std::make_unique<ws_client>(server_.port(), ws_options::with_headers(bearer(name)));
    const auto res = ws->connect("/wal" + query);
    EXPECT_EQ(res.status, 101) << res;
    return ws;
  }

  // Reads until the server closes; the last message before the close (discarded when none).
  json last_message_before_close(ws_client& ws) {
    json last(json::value_t::discarded);
    const auto deadline = std::chrono::steady_clock::now() + reload_deadline;
    while (std::chrono::steady_clock::now() < deadline) {
      auto e = ws.read_event(reload_deadline);
      if (!e) break;
      last = *e;
    }
    EXPECT_TRUE(ws.closed_by_server()) << ws.error();
    return last;
  }
};

TEST_F(auth_reload_test, a_token_added_works_after_sighup_and_one_removed_gets_401) {
  const token_entry newcomer{"newcomer", {"read"}};
  EXPECT_EQ(client().get("/v1/kv?prefix=app/", bearer("newcomer")).status, 401);
  reload({root, watcher, newcomer});
  ASSERT_TRUE(wait_for_status("newcomer", 200));
  const auto gone = client().get("/v1/kv?prefix=app/", bearer("bystander"));
  EXPECT_TRUE(is_problem(gone, 401, "unauthorized"));
  EXPECT_EQ(gone.header("WWW-Authenticate"), R"(Bearer realm="livekv", error="invalid_token")") << gone;
}

TEST_F(auth_reload_test, a_role_removed_on_reload_is_refused_at_once_with_403) {
  reload({root, {"watcher", {"write"}, {"app/"}}, bystander});
  ASSERT_TRUE(wait_for_status("watcher", 403));
  EXPECT_EQ(client().put("/v1/kv/app/k", "v", bearer("watcher")).status, 201) << "the new role is in force";
}

TEST_F(auth_reload_test, a_websocket_whose_token_was_removed_ends_with_revoked_and_close_4401) {
  auto ws = open_ws("watcher");
  auto other = open_ws("bystander");
  reload({root, bystander});
  const auto last = last_message_before_close(*ws);
  ASSERT_TRUE(last.is_object()) << ws->error();
  EXPECT_EQ(last.value("op", ""), "revoked") << last.dump();
  EXPECT_EQ(last.value("code", 0), 4401) << last.dump();
  EXPECT_TRUE(last.contains("last_rev")) << last.dump();
  EXPECT_EQ(ws->close_code(), 4401) << ws->error();

  // The bystander's token did not change: its stream goes on.
  const auto put = client().put("/v1/kv/app/after", "v", bearer("root"));
  ASSERT_EQ(put.status, 201) << put;
  for (;;) {
    const auto e = other->read_event();
    ASSERT_TRUE(e) << other->error();
    if (e->value("op", "") == "progress") continue;
    EXPECT_EQ(e->value("key", ""), "app/after") << e->dump();
    break;
  }
}

TEST_F(auth_reload_test, a_websocket_whose_token_lost_its_role_ends_with_close_4403) {
  auto ws = open_ws("watcher");
  reload({root, {"watcher", {"write"}, {"app/"}}, bystander});
  const auto last = last_message_before_close(*ws);
  EXPECT_EQ(last.value("op", ""), "revoked") << last.dump();
  EXPECT_EQ(last.value("code", 0), 4403) << last.dump();
  EXPECT_EQ(ws->close_code(), 4403) << ws->error();
}

TEST_F(auth_reload_test, a_websocket_whose_token_changed_prefixes_ends_with_close_4403) {
  auto ws = open_ws("watcher", "");
  reload({root, {"watcher", {"read"}, {"app/", "jobs/"}}, bystander});
  const auto last = last_message_before_close(*ws);
  EXPECT_EQ(last.value("op", ""), "revoked") << last.dump();
  EXPECT_EQ(last.value("code", 0), 4403) << last.dump();
  EXPECT_EQ(ws->close_code(), 4403) << ws->error();
}

TEST_F(auth_reload_test, a_read_event_stream_ends_when_its_token_loses_admin) {
  const token_entry auditor{"auditor", {"read", "admin"}};
  reload({root, watcher, bystander, auditor});
  ASSERT_TRUE(wait_for_status("auditor", 200));
  auto ws = open_ws("auditor", "?ops=all");
  reload({root, watcher, bystander, {"auditor", {"read"}}});
  const auto last = last_message_before_close(*ws);
  EXPECT_EQ(last.value("code", 0), 4403) << last.dump();
  EXPECT_EQ(ws->close_code(), 4403) << ws->error();
}

TEST_F(auth_reload_test, an_sse_stream_whose_token_was_removed_gets_event_revoked_and_is_closed) {
  sse_reader reader(server_.port());
  const auto res = reader.open("/v1/watch?prefix=app/", bearer("watcher"));
  ASSERT_EQ(res.status, 200) << res;
  reload({root, bystander});
  std::optional<sse_block> revoked;
  while (auto block = reader.read_event(reload_deadline)) {
    if (block->event == "revoked") {
      revoked = block;
      break;
    }
  }
  ASSERT_TRUE(revoked) << reader.error();
  EXPECT_EQ(revoked->json().value("op", ""), "revoked") << revoked->describe();
  EXPECT_EQ(revoked->json().value("code", 0), 4401) << revoked->describe();
  EXPECT_FALSE(reader.read_block(reload_deadline)) << "nothing after the revoked event";
  EXPECT_TRUE(reader.ended()) << reader.error();
}

TEST_F(auth_reload_test, a_broken_file_on_reload_keeps_the_tokens_in_force) {
  auto ws = open_ws("watcher");
  rewrite_text("[{\"name\": \"root\",\n oops}]\n");
  ASSERT_TRUE(server_.send_signal(SIGHUP));
  ASSERT_TRUE(poll_until([&] { return server_.stderr_text().find("auth file not reloaded") != std::string::npos; },
                         reload_deadline))
      << server_.stderr_text();
  EXPECT_NE(server_.stderr_text().find(auth_path().string()), std::string::npos)
      << "the message names the file:\n" << server_.stderr_text();
  EXPECT_EQ(client().get("/v1/kv?prefix=app/", bearer("watcher")).status, 200);
  EXPECT_EQ(client().put("/v1/kv/app/k", "v", bearer("root")).status, 201);
  // The stream is untouched: the put arrives, no revoked message.
  for (;;) {
    const auto e = ws->read_event();
    ASSERT_TRUE(e) << ws->error();
    if (e->value("op", "") == "progress") continue;
    EXPECT_EQ(e->value("key", ""), "app/k") << e->dump();
    break;
  }
  // A good file afterwards is taken.
  const token_entry newcomer{"newcomer", {"read"}};
  reload({root, watcher, bystander, newcomer});
  EXPECT_TRUE(wait_for_status("newcomer", 200));
}

}  // namespace
}  // namespace livekv::test
