// --rate-limit / --rate-burst: a client (its token's name, else its IP) gets its burst, then 429
// rate_limited with Retry-After, RateLimit and RateLimit-Policy; tokens are limited apart; the
// health probes are exempt; a stream counts once. --max-connections / --max-connections-per-ip: a
// connection over the cap gets a 503 problem+json (too_many_connections) and is closed, the open
// ones keep working, and an open stream holds its slot until it closes. Both are counted in
// /metrics. The rate is one per minute, so no request of a test refills a bucket.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/auth_file.hpp"
#include "support/kv_state.hpp"
#include "support/metrics_text.hpp"
#include "support/raw_socket.hpp"
#include "support/server_fixture.hpp"
#include "support/sse_reader.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

using namespace std::chrono_literals;

constexpr int burst = 5;

class rate_limit_test : public server_test {
 protected:
  explicit rate_limit_test(std::vector<std::string> extra = {})
      : server_test(args(std::move(extra))) {}

  static std::vector<std::string> args(std::vector<std::string> extra) {
    std::vector<std::string> a = {"--rate-limit", "1/m", "--rate-burst", std::to_string(burst), "--metrics-public"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // Sends GETs of `target` until one is refused (at most 3 bursts); how many were served first,
  // and the refusal.
  int served_before_429(const std::string& target, const header_list& headers, http_response& refusal) {
    for (int i = 0; i < 3 * burst; ++i) {
      auto res = client().get(target, headers);
      if (res.status == 429) {
        refusal = std::move(res);
        return i;
      }
      EXPECT_NE(res.status, 0) << res;
    }
    return -1;
  }
};

TEST_F(rate_limit_test, a_client_gets_its_burst_then_429_with_retry_after_and_ratelimit_headers) {
  http_response refusal;
  EXPECT_EQ(served_before_429("/v1/kv?prefix=", {}, refusal), burst);
  EXPECT_TRUE(is_problem(refusal, 429, "rate_limited"));
  const auto retry = refusal.header("Retry-After");
  ASSERT_FALSE(retry.empty()) << refusal;
  EXPECT_GE(std::stoi(retry), 1) << refusal;
  EXPECT_EQ(refusal.header("RateLimit-Policy"), "\"client\";q=5;w=300") << refusal;
  EXPECT_NE(refusal.header("RateLimit").find("r=0"), std::string::npos) << refusal;
  // Every request is refused now, writes too.
  EXPECT_TRUE(is_problem(client().put("/v1/kv/k", "v"), 429, "rate_limited"));
}

TEST_F(rate_limit_test, served_responses_say_how_many_requests_are_left) {
  const auto first = client().get("/v1/kv?prefix=");
  ASSERT_EQ(first.status, 200) << first;
  EXPECT_EQ(first.header("RateLimit-Policy"), "\"client\";q=5;w=300") << first;
  EXPECT_NE(first.header("RateLimit").find("r=4"), std::string::npos) << first;
  const auto second = client().get("/v1/kv?prefix=");
  EXPECT_NE(second.header("RateLimit").find("r=3"), std::string::npos) << second;
}

TEST_F(rate_limit_test, health_probes_and_public_metrics_are_never_limited) {
  http_response refusal;
  ASSERT_EQ(served_before_429("/v1/kv?prefix=", {}, refusal), burst);
  for (int i = 0; i < 3 * burst; ++i) {
    ASSERT_EQ(client().get("/healthz").status, 200);
    ASSERT_EQ(client().get("/readyz").status, 200);
  }
  const auto m = client().get("/metrics");
  ASSERT_EQ(m.status, 200) << m;
  EXPECT_EQ(sample(m.body, "livekv_http_rate_limited_total"), 1.0) << m.body;
}

TEST_F(rate_limit_test, a_stream_counts_once_however_many_events_and_messages_it_carries) {
  ws_client ws(server_.port());
  ASSERT_EQ(ws.connect("/wal").status, 101);  // 1 of the burst
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client().put("/v1/kv/k" + std::to_string(i), "v").status, 201);  // 4
  int events = 0;
  while (events < 3) {
    const auto e = ws.read_event();
    ASSERT_TRUE(e) << ws.error();
    if (e->value("op", "") == "put") ++events;
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ws.send_text(R"({"op": "ping"})")) << ws.error();
  EXPECT_EQ(client().get("/v1/kv?prefix=").status, 200) << "the fifth request of the burst";
  EXPECT_TRUE(is_problem(client().get("/v1/kv?prefix="), 429, "rate_limited")) << "the sixth";
}

const std::vector<token_entry>& two_tokens() {
  static const std::vector<token_entry> tokens = {{"alice", {"read", "write"}}, {"bob", {"read", "write"}}};
  return tokens;
}

class token_rate_limit_test : protected auth_file, public rate_limit_test {
 protected:
  token_rate_limit_test() : auth_file(two_tokens()), rate_limit_test({"--auth-file", auth_path().string()}) {}
};

TEST_F(token_rate_limit_test, each_token_has_its_own_bucket) {
  http_response refusal;
  EXPECT_EQ(served_before_429("/v1/kv?prefix=", bearer("alice"), refusal), burst);
  EXPECT_TRUE(is_problem(refusal, 429, "rate_limited"));
  EXPECT_EQ(client().get("/v1/kv?prefix=", bearer("bob")).status, 200) << "bob, from the same address, is not alice";
  // A token is one client wherever it comes from: another connection does not help alice.
  auto other = new_client();
  EXPECT_TRUE(is_problem(other->get("/v1/kv?prefix=", bearer("alice")), 429, "rate_limited"));
}

TEST_F(token_rate_limit_test, requests_without_a_token_are_refused_401_before_the_rate_is_counted) {
  for (int i = 0; i < 3 * burst; ++i) ASSERT_EQ(client().get("/v1/kv?prefix=").status, 401);
  http_response refusal;
  EXPECT_EQ(served_before_429("/v1/kv?prefix=", bearer("alice"), refusal), burst);
}

// --- connection caps ----------------------------------------------------------------------------

// A keep-alive raw connection that has been served one request (so the server holds its slot).
std::unique_ptr<raw_socket> served_connection(std::uint16_t port, const std::string& target = "/healthz") {
  auto s = std::make_unique<raw_socket>(port);
  EXPECT_TRUE(s->connected()) << s->error();
  EXPECT_TRUE(s->send("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n")) << s->error();
  const auto res = s->read_response();
  EXPECT_EQ(res.status, 200) << res;
  return s;
}

// What a connection over the cap receives: the whole answer and the close.
http_response refused_connection(std::uint16_t port) {
  raw_socket s(port);
  if (!s.connected()) return transport_error("connect: " + s.error());
  // The server answers at accept, without waiting for a request (sending one could turn its close
  // into a reset that discards the answer).
  auto res = s.read_response();
  const auto rest = s.read_until_close();
  if (!rest.closed) res.error = "the connection was not closed after the answer";
  return res;
}

bool still_serves(raw_socket& s) {
  if (!s.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")) return false;
  return s.read_response().status == 200;
}

class connection_cap_test : public server_test {
 protected:
  connection_cap_test() : server_test({"--max-connections", "3"}) {}
};

TEST_F(connection_cap_test, a_connection_over_the_cap_gets_503_and_is_closed_and_the_others_keep_working) {
  std::vector<std::unique_ptr<raw_socket>> open;
  for (int i = 0; i < 3; ++i) open.push_back(served_connection(server_.port()));
  const auto res = refused_connection(server_.port());
  EXPECT_TRUE(is_problem(res, 503, "too_many_connections"));
  EXPECT_TRUE(res.error.empty()) << res.error;
  EXPECT_FALSE(res.header("Retry-After").empty()) << res;
  for (auto& s : open) EXPECT_TRUE(still_serves(*s));

  // The refusal is counted; the scrape goes over a connection already held.
  ASSERT_TRUE(open[0]->send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto m = open[0]->read_response();
  ASSERT_EQ(m.status, 200) << m;
  EXPECT_EQ(sample(m.body, "livekv_http_connections_refused_total"), 1.0) << m.body;
  EXPECT_EQ(sample(m.body, "livekv_http_connections_refused_per_ip_total"), 0.0) << m.body;

  // A slot given back is taken again: once the server has seen the close, a new connection works.
  open.pop_back();
  EXPECT_TRUE(poll_until(
      [&] {
        raw_socket s(server_.port());
        return s.connected() && still_serves(s);
      },
      10'000ms));
}

TEST_F(connection_cap_test, an_open_stream_holds_its_slot_until_it_closes) {
  auto sse = std::make_unique<sse_reader>(server_.port());
  ASSERT_EQ(sse->open("/v1/watch").status, 200);
  auto ws = std::make_unique<ws_client>(server_.port());
  ASSERT_EQ(ws->connect("/wal").status, 101);
  auto held = served_connection(server_.port());
  EXPECT_TRUE(is_problem(refused_connection(server_.port()), 503, "too_many_connections"));
  // The streams still deliver.
  ASSERT_TRUE(held->send("PUT /v1/kv/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nv"));
  EXPECT_EQ(held->read_response().status, 201);
  for (;;) {
    const auto block = sse->read_event();
    ASSERT_TRUE(block) << sse->error();
    if (block->event == "put") break;
  }
  for (;;) {
    const auto e = ws->read_event();
    ASSERT_TRUE(e) << ws->error();
    if (e->value("op", "") == "put") break;
  }
  // Closing a stream frees its slot.
  ws->close();
  ws.reset();
  EXPECT_TRUE(poll_until(
      [&] {
        raw_socket s(server_.port());
        return s.connected() && still_serves(s);
      },
      10'000ms));
}

class per_ip_cap_test : public server_test {
 protected:
  per_ip_cap_test() : server_test({"--max-connections-per-ip", "2"}) {}
};

TEST_F(per_ip_cap_test, a_third_connection_from_one_address_gets_503_and_is_closed) {
  auto a = served_connection(server_.port());
  auto b = served_connection(server_.port());
  const auto res = refused_connection(server_.port());
  EXPECT_TRUE(is_problem(res, 503, "too_many_connections"));
  EXPECT_NE(res.json().value("detail", "").find("--max-connections-per-ip"), std::string::npos) << res;
  EXPECT_TRUE(still_serves(*a));
  ASSERT_TRUE(b->send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto m = b->read_response();
  ASSERT_EQ(m.status, 200) << m;
  EXPECT_EQ(sample(m.body, "livekv_http_connections_refused_per_ip_total"), 1.0) << m.body;
  EXPECT_EQ(sample(m.body, "livekv_http_connections_refused_total"), 0.0) << m.body;
}

}  // namespace
}  // namespace livekv::test
