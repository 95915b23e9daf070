// HTTP/1.1 connection handling: keep-alive, pipelining, 100-continue, Connection: close, the
// message rules of RFC 9112 (Host, Transfer-Encoding in HTTP/1.0, over-long targets), the Date on
// every response, and the header and idle timeouts that cut off slow or silent clients.
#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "support/raw_socket.hpp"
#include "support/server_fixture.hpp"
#include "support/sse_reader.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

class http_protocol_test : public server_test {};

TEST_F(http_protocol_test, many_requests_share_one_keep_alive_connection) {
  for (int i = 0; i < 100; ++i) {
    const auto res = client().put("/v1/kv/k" + std::to_string(i % 10), std::to_string(i));
    ASSERT_TRUE(res.status == 201 || res.status == 200) << res;
    ASSERT_TRUE(res.keep_alive) << res;
  }
  EXPECT_EQ(client().connections_opened(), 1u);
  const auto status = client().get("/status").json();
  EXPECT_EQ(status["connections_total"], 1) << "the server saw a single connection";
  EXPECT_EQ(status["requests_total"], 101);
}

TEST_F(http_protocol_test, pipelined_requests_are_answered_in_order) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  // Three requests in one write: the server must answer each, in order, on the same connection.
  ASSERT_TRUE(sock.send("PUT /v1/kv/p HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nfirst"
                        "GET /v1/kv/p HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        "GET /v1/kv/missing HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto put = sock.read_response();
  EXPECT_EQ(put.status, 201) << put;
  const auto get = sock.read_response();
  EXPECT_EQ(get.status, 200) << get;
  EXPECT_EQ(get.body, "first");
  const auto missing = sock.read_response();
  EXPECT_TRUE(is_problem(missing, 404, "key_not_found"));
  EXPECT_TRUE(missing.keep_alive);
}

TEST_F(http_protocol_test, pipelined_requests_after_a_rejected_one_are_not_served) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  // The PUT lacks a length, so the bytes after its head cannot be framed: the server answers 411
  // and closes instead of guessing where the next request starts.
  ASSERT_TRUE(sock.send("PUT /v1/kv/a HTTP/1.1\r\nHost: localhost\r\n\r\n"
                        "PUT /v1/kv/b HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nb"));
  EXPECT_TRUE(is_problem(sock.read_response(), 411, "length_required"));
  EXPECT_TRUE(sock.read_until_close().closed);
  EXPECT_EQ(client().get("/v1/kv/b").status, 404);
}

TEST_F(http_protocol_test, expect_100_continue_gets_100_then_the_final_response) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("PUT /v1/kv/c HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  const auto interim = sock.read_response();
  ASSERT_EQ(interim.status, 100) << interim;
  ASSERT_TRUE(sock.send("body"));
  const auto final_res = sock.read_response();
  EXPECT_EQ(final_res.status, 201) << final_res;
  EXPECT_EQ(client().get("/v1/kv/c").body, "body");
}

// A client waiting for 100 Continue with a too-large Content-Length gets the 413 instead.
TEST_F(http_protocol_test, expect_100_continue_with_an_oversized_body_gets_413_without_100) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("PUT /v1/kv/c HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n"
                        "Expect: 100-continue\r\n\r\n"));
  EXPECT_TRUE(is_problem(sock.read_response(), 413, "value_too_large"));
}

TEST_F(http_protocol_test, connection_close_closes_after_the_response) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  const auto res = sock.read_response();
  EXPECT_EQ(res.status, 200) << res;
  EXPECT_FALSE(res.keep_alive);
  EXPECT_TRUE(sock.read_until_close().closed);
}

TEST_F(http_protocol_test, http_1_0_without_keep_alive_closes_after_the_response) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("GET /healthz HTTP/1.0\r\n\r\n"));
  const auto res = sock.read_response();
  EXPECT_EQ(res.status, 200) << res;
  EXPECT_TRUE(sock.read_until_close().closed);
}

TEST_F(http_protocol_test, a_client_closing_mid_request_does_not_disturb_others) {
  {
    raw_socket sock(server_.port());
    ASSERT_TRUE(sock.connected()) << sock.error();
    ASSERT_TRUE(sock.send("PUT /v1/kv/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc"));
  }  // closed with the body half sent
  EXPECT_EQ(client().put("/v1/kv/y", "v").status, 201);
  EXPECT_EQ(client().get("/v1/kv/x").status, 404);
}

// A burst of connections (all connected before the server accepts any) is accepted partly in one
// go (net/listener): every one of them must still be served, each on its own connection.
TEST_F(http_protocol_test, a_burst_of_connections_queued_at_once_is_served_entirely) {
  constexpr int n = 400;
  std::vector<std::unique_ptr<raw_socket>> socks;
  for (int i = 0; i < n; ++i) {
    socks.push_back(std::make_unique<raw_socket>(server_.port()));
    ASSERT_TRUE(socks.back()->connected()) << i << ": " << socks.back()->error();
  }
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(socks[i]->send("PUT /v1/kv/burst/" + std::to_string(i) +
                               " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\n\r\nx"));
  for (int i = 0; i < n; ++i) {
    const auto res = socks[i]->read_response();
    ASSERT_EQ(res.status, 201) << "connection " << i << ": " << res;
  }
  const auto list = client().get("/v1/kv?prefix=burst/&limit=1000");
  ASSERT_EQ(list.status, 200) << list;
  EXPECT_EQ(list.json()["items"].size(), static_cast<std::size_t>(n));
}

// ---- RFC 9112 message rules ---------------------------------------------------------------------

// Sends `request` on a fresh connection; expects a 400 bad_request problem and the connection closed.
void expect_400_and_close(std::uint16_t port, const std::string& request) {
  raw_socket sock(port);
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send(request)) << sock.error();
  const auto res = sock.read_response();
  EXPECT_TRUE(is_problem(res, 400, "bad_request")) << request;
  EXPECT_FALSE(res.keep_alive) << request;
  EXPECT_TRUE(sock.read_until_close().closed) << request;
}

TEST_F(http_protocol_test, an_http_1_1_request_without_host_is_400_and_closes) {
  expect_400_and_close(server_.port(), "GET /healthz HTTP/1.1\r\n\r\n");
  expect_400_and_close(server_.port(), "PUT /v1/kv/nohost HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
  EXPECT_EQ(client().get("/v1/kv/nohost").status, 404) << "the PUT was not served";
}

TEST_F(http_protocol_test, a_request_with_two_host_headers_is_400_in_http_1_1_and_1_0) {
  expect_400_and_close(server_.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: b\r\n\r\n");
  expect_400_and_close(server_.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n");
  expect_400_and_close(server_.port(), "GET /healthz HTTP/1.0\r\nHost: localhost\r\nHost: b\r\n\r\n");
}

// HTTP/1.0 has no Host requirement (RFC 9112 §3.2 asks it of 1.1 only); an empty Host is allowed too.
TEST_F(http_protocol_test, http_1_0_without_host_and_http_1_1_with_an_empty_host_are_served) {
  for (const char* request : {"GET /healthz HTTP/1.0\r\n\r\n", "GET /healthz HTTP/1.1\r\nHost:\r\n\r\n"}) {
    raw_socket sock(server_.port());
    ASSERT_TRUE(sock.connected()) << sock.error();
    ASSERT_TRUE(sock.send(request)) << sock.error();
    EXPECT_EQ(sock.read_response().status, 200) << request;
  }
}

// RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means its framing is faulty. A 1.0
// intermediary in front, which knows no Transfer-Encoding, sees a request without a body and would
// take the chunks for the next request: serving them would make us disagree (request smuggling).
TEST_F(http_protocol_test, http_1_0_with_transfer_encoding_chunked_is_400_closes_and_stores_nothing) {
  expect_400_and_close(server_.port(),
                       "PUT /v1/kv/te HTTP/1.0\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(client().get("/v1/kv/te").status, 404) << "the chunked body was not stored";
  // The same request in HTTP/1.1 is fine (the control: the 400 above is about the version).
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("PUT /v1/kv/te HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n0\r\n\r\n"));
  EXPECT_EQ(sock.read_response().status, 201);
}

// The request line counts against --max-header-bytes (16 KiB here), so a 128 KiB target overflows
// it before the head is parsed; the answer must still name the target, not the headers.
TEST_F(http_protocol_test, a_128_kib_request_target_is_414_uri_too_long_not_431) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("GET /v1/kv/" + std::string(128 * 1024, 'a') + " HTTP/1.1\r\nHost: localhost\r\n\r\n"))
      << sock.error();
  const auto res = sock.read_response();
  EXPECT_TRUE(is_problem(res, 414, "uri_too_long")) << res;
  EXPECT_FALSE(res.keep_alive);
  EXPECT_TRUE(sock.read_until_close().closed);
  // The control: a short target with 20 KiB of headers is still 431.
  raw_socket big_headers(server_.port());
  ASSERT_TRUE(big_headers.connected()) << big_headers.error();
  ASSERT_TRUE(big_headers.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + std::string(20 * 1024, 'p') +
                               "\r\n\r\n"));
  EXPECT_TRUE(is_problem(big_headers.read_response(), 431, "headers_too_large"));
}

// ---- Date ------------------------------------------------------------------------------------------

// RFC 9110 §6.6.1: an origin server with a clock sends Date, an IMF-fixdate, on every response.
// `before` and `after` bracket the request, by the same clock the server reads.
testing::AssertionResult has_date_between(const http_response& res, std::time_t before, std::time_t after) {
  const std::string date = res.header("Date");
  if (res.headers.count("Date") != 1) return testing::AssertionFailure() << "not one Date header\n" << res;
  if (!std::regex_match(date, std::regex(R"((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)")))
    return testing::AssertionFailure() << "Date is not an IMF-fixdate: " << date;
  std::tm tm{};
  if (strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr)
    return testing::AssertionFailure() << "unparsable Date: " << date;
  const std::time_t t = timegm(&tm);
  if (t < before || t > after)
    return testing::AssertionFailure() << "Date " << date << " is not the time of the request";
  return testing::AssertionSuccess();
}

TEST_F(http_protocol_test, every_response_carries_the_date_including_problems_and_feed_upgrades) {
  const std::time_t before = std::time(nullptr);
  ASSERT_EQ(client().put("/v1/kv/d", "v").status, 201);
  std::vector<http_response> responses = {
      client().put("/v1/kv/d", "w"),
      client().get("/v1/kv/d"),
      client().head("/v1/kv/d"),
      client().get("/v1/kv/d", {{"If-None-Match", "\"2\""}}),
      client().get("/v1/kv/missing"),
      client().request(verb::post, "/v1/kv/d", "x"),
      client().get("/"),
      client().get("/status"),
      client().get("/wal"),  // 426: a plain GET of the WebSocket route
  };
  {
    // A problem answered before any route, from the head alone.
    raw_socket sock(server_.port());
    ASSERT_TRUE(sock.connected()) << sock.error();
    ASSERT_TRUE(sock.send("GET /healthz HTTP/1.1\r\n\r\n"));
    responses.push_back(sock.read_response());
  }
  {
    sse_reader sse(server_.port());
    responses.push_back(sse.open("/v1/watch"));
  }
  {
    ws_client ws(server_.port());
    responses.push_back(ws.connect("/wal"));
    EXPECT_EQ(responses.back().status, 101) << responses.back();
  }
  const std::time_t after = std::time(nullptr);
  for (const auto& res : responses) {
    EXPECT_NE(res.status, 0) << res;
    EXPECT_TRUE(has_date_between(res, before, after));
  }
}

// Short timeouts, so a test can watch a slow client being cut off. Deadlines in the test stay
// generous: they bound the wait, they do not measure the server.
class http_timeout_test : public server_test {
 protected:
  http_timeout_test() : server_test({"--header-timeout", "300ms", "--idle-timeout", "500ms"}) {}
};

TEST_F(http_timeout_test, a_half_sent_request_head_is_disconnected) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("GET /v1/kv/slow HTTP/1.1\r\nHost: localhost\r\nX-Slow"));
  const auto r = sock.read_until_close(std::chrono::seconds(10));
  EXPECT_TRUE(r.closed) << "still open after 10 s";
  EXPECT_EQ(r.data, "") << "a request that never completed gets no response";
}

TEST_F(http_timeout_test, a_stalled_request_body_is_disconnected) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("PUT /v1/kv/slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nhalf"));
  const auto r = sock.read_until_close(std::chrono::seconds(10));
  EXPECT_TRUE(r.closed) << "still open after 10 s";
  EXPECT_EQ(r.data, "") << "a request that never completed gets no response";
}

TEST_F(http_timeout_test, an_idle_keep_alive_connection_is_closed) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto res = sock.read_response();
  ASSERT_EQ(res.status, 200) << res;
  ASSERT_TRUE(res.keep_alive);
  const auto r = sock.read_until_close(std::chrono::seconds(10));
  EXPECT_TRUE(r.closed) << "still open after 10 s";
  EXPECT_EQ(r.data, "");
}

TEST_F(http_timeout_test, a_connection_that_never_sends_is_closed) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  EXPECT_TRUE(sock.read_until_close(std::chrono::seconds(10)).closed) << "still open after 10 s";
}

}  // namespace
}  // namespace livekv::test
