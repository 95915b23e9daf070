// --auth-file end to end: every route (REST, long-poll, SSE, WebSocket) against every kind of token
// (none, unknown, read, write, admin, all three, scoped) answers with its data, 401 or 403; the 401
// says how to authenticate (WWW-Authenticate); the three places a token may travel (Authorization,
// the WebSocket subprotocol bearer.<token>, access_token on an event-stream request, and nowhere
// else); /status hides config and storage from non-admins; --metrics-public; the refusals are
// counted; the access log names the token and never shows it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/auth_file.hpp"
#include "support/kv_state.hpp"
#include "support/metrics_text.hpp"
#include "support/server_fixture.hpp"
#include "support/sse_reader.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const std::vector<token_entry>& role_tokens() {
  static const std::vector<token_entry> tokens = {
      {"reader", {"read"}},
      {"writer", {"write"}},
      {"admin", {"admin"}},
      {"all", {"read", "write", "admin"}},
      {"scoped", {"read", "write"}, {"app/"}},
  };
  return tokens;
}

std::vector<std::string> with_auth_file(const std::filesystem::path& file, std::vector<std::string> extra) {
  std::vector<std::string> args = {"--auth-file", file.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

class auth_test : protected auth_file, public server_test {
 protected:
  explicit auth_test(std::vector<std::string> extra = {})
      : auth_file(role_tokens()), server_test(with_auth_file(auth_path(), std::move(extra))) {}

  std::string metrics() {
    const auto res = client().get("/metrics", bearer("all"));
    EXPECT_EQ(res.status, 200) << res;
    return res.body;
  }
};

enum class transport { rest, sse, websocket };

// One route and what it asks for.
struct route_case {
  transport via;
  verb method;
  std::string target;
  std::string body;
  std::vector<std::string> needs;  // every one of these roles; empty: any known token
  std::vector<int> served;         // statuses that mean the request was served
};

std::string describe(const route_case& r) {
  return std::string(boost::beast::http::to_string(r.method)) + " " + r.target +
         (r.via == transport::sse ? " (SSE)" : r.via == transport::websocket ? " (WebSocket)" : "");
}

const std::vector<route_case>& routes() {
  static const std::vector<route_case> table = {
      {transport::rest, verb::get, "/v1/kv/app/k", "", {"read"}, {200}},
      {transport::rest, verb::head, "/v1/kv/app/k", "", {"read"}, {200}},
      {transport::rest, verb::get, "/v1/kv?prefix=app/", "", {"read"}, {200}},
      {transport::rest, verb::get, "/v1/kv/app/k?wait=0&timeout=1", "", {"read"}, {200}},
      {transport::rest, verb::get, "/status", "", {"read"}, {200}},
      {transport::rest, verb::put, "/v1/kv/app/k", "v", {"write"}, {200, 201}},
      {transport::rest, verb::delete_, "/v1/kv/app/gone", "", {"write"}, {200, 404}},
      {transport::rest, verb::post, "/v1/cas/app/k", R"({"expected": "v", "new": "v"})", {"write"}, {200}},
      {transport::rest, verb::post, "/v1/batch", R"({"ops": [{"op": "put", "key": "app/b", "value": "1"}]})",
       {"write"},
       {200}},
      {transport::rest, verb::post, "/v1/admin/snapshot", "", {"admin"}, {200, 202}},
      {transport::rest, verb::get, "/metrics", "", {"admin"}, {200}},
      {transport::rest, verb::get, "/no/such/route", "", {}, {404}},
      {transport::sse, verb::get, "/v1/watch?prefix=app/", "", {"read"}, {200}},
      {transport::sse, verb::get, "/v1/watch/app/k", "", {"read"}, {200}},
      {transport::sse, verb::post, "/v1/watch", R"(["app/k"])", {"read"}, {200}},
      {transport::sse, verb::get, "/v1/watch?prefix=app/&ops=all", "", {"read", "admin"}, {200}},
      {transport::websocket, verb::get, "/wal?prefix=app/", "", {"read"}, {101}},
      {transport::websocket, verb::get, "/wal?prefix=app/&ops=reads", "", {"read", "admin"}, {101}},
  };
  return table;
}

// The clients of the table: none, one the file does not know, and each of role_tokens().
struct caller {
  std::string name;  // "" for no token
  bool known;
};
std::vector<caller> callers() {
  std::vector<caller> out = {{"", false}, {"stranger", false}};
  for (const auto& t : role_tokens()) out.push_back({t.name, true});
  return out;
}

bool has_roles(const std::string& name, const std::vector<std::string>& needs) {
  const auto& tokens = role_tokens();
  const auto t = std::find_if(tokens.begin(), tokens.end(), [&](const token_entry& e) { return e.name == name; });
  return std::all_of(needs.begin(), needs.end(),
                     [&](const std::string& r) { return std::find(t->roles.begin(), t->roles.end(), r) != t->roles.end(); });
}

class route_table_test : public auth_test {
 protected:
  // Sends `r` as `who` over its transport; the answer (a 200 stream is closed again at once).
  http_response send(const route_case& r, const caller& who) {
    header_list headers = who.name.empty() ? header_list{} : bearer(who.name);
    switch (r.via) {
      case transport::rest: {
        if (!r.body.empty() && r.method == verb::post) headers.emplace_back("Content-Type", "application/json");
        return client().request(r.method, r.target, r.body, headers);
      }
      case transport::sse: {
        sse_reader reader(server_.port());
        return reader.open(r.method, r.target, r.body, headers);
      }
      case transport::websocket: {
        ws_client ws(server_.port(), ws_options::with_headers(headers));
        auto res = ws.connect(r.target);
        ws.close();
        return res;
      }
    }
    return {};
  }

  void check_every_caller(transport via) {
    ASSERT_EQ(client().put("/v1/kv/app/k", "v", bearer("all")).status, 201);
    for (const auto& r : routes()) {
      if (r.via != via) continue;
      for (const auto& who : callers()) {
        SCOPED_TRACE(describe(r) + " as " + (who.name.empty() ? "no token" : who.name));
        const auto res = send(r, who);
        const bool head = r.method == verb::head;
        if (!who.known) {
          EXPECT_EQ(res.status, 401) << res;
          if (!head) {
            EXPECT_TRUE(is_problem(res, 401, "unauthorized"));
          }
          EXPECT_EQ(res.header("WWW-Authenticate"), who.name.empty()
                                                        ? R"(Bearer realm="livekv")"
                                                        : R"(Bearer realm="livekv", error="invalid_token")")
              << res;
        } else if (has_roles(who.name, r.needs)) {
          EXPECT_TRUE(std::find(r.served.begin(), r.served.end(), res.status) != r.served.end()) << res;
        } else if (head) {
          EXPECT_EQ(res.status, 403) << res;
        } else {
          EXPECT_TRUE(is_problem(res, 403, "forbidden"));
          EXPECT_FALSE(res.headers.contains("WWW-Authenticate")) << res;
        }
      }
    }
  }
};

TEST_F(route_table_test, every_rest_route_serves_its_roles_and_refuses_the_others_with_401_or_403) {
  check_every_caller(transport::rest);
}

TEST_F(route_table_test, every_sse_route_serves_its_roles_and_refuses_the_others_with_401_or_403) {
  check_every_caller(transport::sse);
}

TEST_F(route_table_test, every_websocket_route_serves_its_roles_and_refuses_the_others_with_401_or_403) {
  check_every_caller(transport::websocket);
}

TEST_F(auth_test, health_probes_and_the_console_page_need_no_token) {
  for (const char* target : {"/healthz", "/readyz", "/"}) {
    SCOPED_TRACE(target);
    EXPECT_EQ(client().get(target).status, 200);
    EXPECT_EQ(client().get(target, {{"Authorization", "Bearer not-a-token"}}).status, 200)
        << "an open route ignores a bad token";
  }
}

TEST_F(auth_test, a_refused_write_changes_nothing) {
  EXPECT_EQ(client().put("/v1/kv/app/x", "v").status, 401);
  EXPECT_EQ(client().put("/v1/kv/app/x", "v", bearer("reader")).status, 403);
  EXPECT_EQ(client().get("/v1/kv/app/x", bearer("all")).status, 404);
  EXPECT_EQ(current_revision(), 0u);
}

TEST_F(auth_test, another_authorization_scheme_counts_as_no_token) {
  const auto res = client().get("/v1/kv/app/k", {{"Authorization", "Basic " + token_named("reader").token}});
  EXPECT_TRUE(is_problem(res, 401, "unauthorized"));
  EXPECT_EQ(res.header("WWW-Authenticate"), R"(Bearer realm="livekv")") << res;
}

TEST_F(auth_test, the_bearer_scheme_is_case_insensitive) {
  EXPECT_EQ(client().get("/v1/kv?prefix=", {{"Authorization", "bearer " + token_named("reader").token}}).status, 200);
  EXPECT_EQ(client().get("/v1/kv?prefix=", {{"Authorization", "BEARER " + token_named("reader").token}}).status, 200);
}

TEST_F(auth_test, an_event_stream_request_may_carry_its_token_as_access_token) {
  sse_reader reader(server_.port());
  const auto res = reader.open("/v1/watch?prefix=app/&access_token=" + query_escape(token_named("reader").token));
  ASSERT_EQ(res.status, 200) << res;
  ASSERT_EQ(client().put("/v1/kv/app/k", "v", bearer("writer")).status, 201);
  for (;;) {
    const auto block = reader.read_event();
    ASSERT_TRUE(block) << reader.error();
    if (block->event == "progress") continue;
    EXPECT_EQ(block->json().value("key", ""), "app/k") << block->describe();
    break;
  }
}

TEST_F(auth_test, access_token_is_not_accepted_on_a_request_that_is_not_an_event_stream) {
  const std::string t = query_escape(token_named("all").token);
  EXPECT_TRUE(is_problem(client().get("/v1/kv/app/k?access_token=" + t), 401, "unauthorized"));
  EXPECT_TRUE(is_problem(client().get("/status?access_token=" + t), 401, "unauthorized"));
  EXPECT_TRUE(is_problem(client().put("/v1/kv/app/k?access_token=" + t, "v"), 401, "unauthorized"));
  sse_reader reader(server_.port());
  EXPECT_TRUE(is_problem(reader.open("/v1/watch?prefix=app/&access_token=not-a-token"), 401, "unauthorized"));
}

TEST_F(auth_test, a_websocket_token_may_come_as_the_bearer_subprotocol_which_is_echoed) {
  const std::string protocol = "bearer." + token_named("reader").token;
  ws_client ws(server_.port(), ws_options::with_headers({{"Sec-WebSocket-Protocol", "livekv.v1, " + protocol}}));
  const auto res = ws.connect("/wal?prefix=app/");
  ASSERT_EQ(res.status, 101) << res;
  EXPECT_EQ(res.header("Sec-WebSocket-Protocol"), protocol) << res;
  ASSERT_EQ(client().put("/v1/kv/app/k", "v", bearer("writer")).status, 201);
  for (;;) {
    const auto e = ws.read_event();
    ASSERT_TRUE(e) << ws.error();
    if (e->value("op", "") == "progress") continue;
    EXPECT_EQ(e->value("key", ""), "app/k") << e->dump();
    break;
  }
  ws.close();

  ws_client stranger(server_.port(), ws_options::with_headers({{"Sec-WebSocket-Protocol", "bearer.not-a-token"}}));
  EXPECT_TRUE(is_problem(stranger.connect("/wal"), 401, "unauthorized"));
  ws_client without(server_.port(), ws_options::with_headers({{"Sec-WebSocket-Protocol", "livekv.v1"}}));
  EXPECT_TRUE(is_problem(without.connect("/wal"), 401, "unauthorized"));
}

TEST_F(auth_test, status_shows_config_and_storage_to_admins_only) {
  const auto as_reader = client().get("/status", bearer("reader"));
  ASSERT_EQ(as_reader.status, 200) << as_reader;
  EXPECT_FALSE(as_reader.json().contains("config")) << as_reader;
  EXPECT_FALSE(as_reader.json().contains("storage")) << as_reader;
  EXPECT_TRUE(as_reader.json().contains("revision")) << as_reader;
  const auto as_admin = client().get("/status", bearer("all"));
  ASSERT_EQ(as_admin.status, 200) << as_admin;
  EXPECT_TRUE(as_admin.json().contains("config")) << as_admin;
  EXPECT_TRUE(as_admin.json().contains("storage")) << as_admin;
  EXPECT_EQ(as_admin.json()["config"].value("auth", false), true) << as_admin;
}

TEST_F(auth_test, refusals_are_counted_in_metrics) {
  const auto before = metrics();
  const double unauthorized = sample(before, "livekv_auth_unauthorized_total").value_or(-1);
  const double forbidden = sample(before, "livekv_auth_forbidden_total").value_or(-1);
  ASSERT_GE(unauthorized, 0) << before;
  ASSERT_GE(forbidden, 0) << before;
  EXPECT_EQ(client().get("/v1/kv/app/k").status, 401);
  EXPECT_EQ(client().get("/v1/kv/app/k", bearer("stranger")).status, 401);
  EXPECT_EQ(client().put("/v1/kv/app/k", "v", bearer("reader")).status, 403);
  const auto after = metrics();
  EXPECT_EQ(sample(after, "livekv_auth_unauthorized_total"), unauthorized + 2) << after;
  EXPECT_EQ(sample(after, "livekv_auth_forbidden_total"), forbidden + 1) << after;
}

class metrics_public_test : public auth_test {
 protected:
  metrics_public_test() : auth_test({"--metrics-public"}) {}
};

TEST_F(metrics_public_test, metrics_are_served_without_a_token_and_nothing_else_is) {
  const auto res = client().get("/metrics");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_NE(res.body.find("livekv_http_connections"), std::string::npos) << res.body;
  EXPECT_TRUE(is_problem(client().get("/status"), 401, "unauthorized"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv?prefix="), 401, "unauthorized"));
}

// The access log, to a file; its lines are written by a background thread, so a test polls for the
// line of the request it made (found by its X-Request-Id).
std::string wait_for_log_line(const std::filesystem::path& file, const std::string& request_id) {
  std::string found;
  poll_until(
      [&] {
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line))
          if (line.find(request_id) != std::string::npos) {
            found = line;
            return true;
          }
        return false;
      },
      10'000ms);
  return found;
}

std::string whole_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class access_log_test : protected temp_dir, public auth_test {
 protected:
  explicit access_log_test(std::string format = "text")
      : auth_test({"--access-log", (path() / "access.log").string(), "--log-format", std::move(format)}) {}
  std::filesystem::path log_path() const { return path() / "access.log"; }
};

TEST_F(access_log_test, text_lines_name_the_token_and_never_show_it) {
  ASSERT_EQ(client().put("/v1/kv/app/k", "v", {{"Authorization", "Bearer " + token_named("writer").token},
                                                 {"X-Request-Id", "put-by-writer"}})
                .status,
            201);
  const auto line = wait_for_log_line(log_path(), "put-by-writer");
  EXPECT_NE(line.find("token=writer"), std::string::npos) << line;
  EXPECT_EQ(client().get("/v1/kv/app/k", {{"X-Request-Id", "anonymous-get"}}).status, 401);
  const auto anonymous = wait_for_log_line(log_path(), "anonymous-get");
  EXPECT_NE(anonymous.find("token=-"), std::string::npos) << anonymous;
  EXPECT_EQ(whole_file(log_path()).find(token_named("writer").token), std::string::npos);
}

TEST_F(access_log_test, an_access_token_in_the_query_is_logged_as_redacted) {
  const std::string token = token_named("reader").token;
  {
    sse_reader reader(server_.port());
    const auto res = reader.open("/v1/watch?access_token=" + query_escape(token) + "&prefix=app/",
                                 {{"X-Request-Id", "sse-with-query-token"}});
    ASSERT_EQ(res.status, 200) << res;
  }
  {
    sse_reader reader(server_.port());
    const auto res = reader.open("/v1/watch?prefix=app/&access_token=wrong", {{"X-Request-Id", "sse-wrong-token"}});
    ASSERT_EQ(res.status, 401) << res;
  }
  const auto line = wait_for_log_line(log_path(), "sse-with-query-token");
  EXPECT_NE(line.find("/v1/watch?access_token=REDACTED&prefix=app/"), std::string::npos) << line;
  EXPECT_NE(line.find("token=reader"), std::string::npos) << line;
  const auto refused = wait_for_log_line(log_path(), "sse-wrong-token");
  EXPECT_NE(refused.find("access_token=REDACTED"), std::string::npos) << refused;
  const auto all = whole_file(log_path());
  EXPECT_EQ(all.find(token), std::string::npos) << all;
  EXPECT_EQ(all.find(query_escape(token)), std::string::npos) << all;
  EXPECT_EQ(all.find("access_token=wrong"), std::string::npos) << all;
}

class json_access_log_test : public access_log_test {
 protected:
  json_access_log_test() : access_log_test("json") {}
};

TEST_F(json_access_log_test, json_lines_carry_the_token_name_as_a_member) {
  ASSERT_EQ(client().get("/v1/kv?prefix=app/", {{"Authorization", "Bearer " + token_named("scoped").token},
                                                 {"X-Request-Id", "list-by-scoped"}})
                .status,
            200);
  const auto line = wait_for_log_line(log_path(), "list-by-scoped");
  const auto j = json::parse(line, nullptr, false);
  ASSERT_TRUE(j.is_object()) << line;
  EXPECT_EQ(j.value("token", ""), "scoped") << line;
  EXPECT_EQ(client().get("/status", {{"X-Request-Id", "anonymous-status"}}).status, 401);
  const auto anonymous = json::parse(wait_for_log_line(log_path(), "anonymous-status"), nullptr, false);
  ASSERT_TRUE(anonymous.is_object());
  EXPECT_FALSE(anonymous.contains("token")) << anonymous.dump();
  EXPECT_EQ(whole_file(log_path()).find(token_named("scoped").token), std::string::npos);
}

}  // namespace
}  // namespace livekv::test
