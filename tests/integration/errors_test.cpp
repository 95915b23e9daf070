// Bad input of every kind gets a problem+json 4xx with the documented code, never a 5xx, and the
// limits set by flags are the ones enforced.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/raw_socket.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

class errors_test : public server_test {
 protected:
  errors_test()
      : server_test({"--max-key-bytes", "16", "--max-value-bytes", "1KiB", "--max-header-bytes", "8KiB"}) {}

  // Sends `bytes` on a fresh connection and reads one response.
  http_response raw_exchange(const std::string& bytes) {
    raw_socket sock(server_.port());
    if (!sock.connected()) return transport_error(sock.error());
    if (!sock.send(bytes)) return transport_error(sock.error());
    return sock.read_response();
  }
};

TEST_F(errors_test, problems_carry_every_member_and_the_problem_content_type) {
  const auto res = client().get("/v1/kv/missing");
  ASSERT_TRUE(is_problem(res, 404, "key_not_found"));
  const auto j = res.json();
  EXPECT_EQ(j["title"], "Key not found");
  EXPECT_FALSE(j["detail"].get<std::string>().empty());
}

TEST_F(errors_test, empty_key_is_400_bad_key) {
  EXPECT_TRUE(is_problem(client().get("/v1/kv/"), 400, "bad_key"));
  EXPECT_TRUE(is_problem(client().put("/v1/kv/", "v"), 400, "bad_key"));
  EXPECT_TRUE(is_problem(client().del("/v1/kv/"), 400, "bad_key"));
}

TEST_F(errors_test, control_characters_in_a_key_are_400_bad_key) {
  for (const char* key : {"%01", "a%00b", "%7F", "line%0Abreak", "tab%09", "c1%C2%85"}) {
    EXPECT_TRUE(is_problem(client().put(std::string("/v1/kv/") + key, "v"), 400, "bad_key")) << key;
    EXPECT_TRUE(is_problem(client().get(std::string("/v1/kv/") + key), 400, "bad_key")) << key;
  }
}

TEST_F(errors_test, invalid_utf8_in_a_key_is_400_bad_key) {
  // A lone 0xFF, a broken two-byte sequence, an encoded surrogate, an overlong '/'.
  for (const char* key : {"%FF", "%C3%28", "%ED%A0%80", "%C0%AF"}) {
    EXPECT_TRUE(is_problem(client().put(std::string("/v1/kv/") + key, "v"), 400, "bad_key")) << key;
  }
}

TEST_F(errors_test, malformed_percent_escape_in_a_key_is_400_bad_key) {
  for (const char* key : {"%G1", "a%4", "a%", "%%41", "%4g"}) {
    EXPECT_TRUE(is_problem(client().get(std::string("/v1/kv/") + key), 400, "bad_key")) << key;
  }
}

TEST_F(errors_test, key_longer_than_max_key_bytes_is_414_key_too_long) {
  const std::string at_limit(16, 'k');
  EXPECT_EQ(client().put("/v1/kv/" + at_limit, "v").status, 201);
  const std::string over = at_limit + "k";
  EXPECT_TRUE(is_problem(client().put("/v1/kv/" + over, "v"), 414, "key_too_long"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/" + over), 414, "key_too_long"));
  EXPECT_TRUE(is_problem(client().del("/v1/kv/" + over), 414, "key_too_long"));
}

TEST_F(errors_test, key_limit_counts_decoded_bytes_not_escapes) {
  std::string eight_e_acute, nine_e_acute;  // "é" is 2 bytes, 6 characters escaped
  for (int i = 0; i < 8; ++i) eight_e_acute += "%C3%A9";
  nine_e_acute = eight_e_acute + "%C3%A9";
  EXPECT_EQ(client().put("/v1/kv/" + eight_e_acute, "v").status, 201);
  EXPECT_TRUE(is_problem(client().put("/v1/kv/" + nine_e_acute, "v"), 414, "key_too_long"));
}

TEST_F(errors_test, request_target_over_the_uri_limit_is_414_uri_too_long) {
  // The limit is 3 x max-key-bytes + 4096 bytes of target.
  const std::string target = "/v1/kv?prefix=" + std::string(5000, 'p');
  EXPECT_TRUE(is_problem(client().get(target), 414, "uri_too_long"));
}

// Beast reports http::error::body_limit from async_read_header when the declared Content-Length
// exceeds the limit: the server must answer 413, not just close.
TEST_F(errors_test, value_larger_than_max_value_bytes_is_413_value_too_large) {
  EXPECT_EQ(client().put("/v1/kv/fits", std::string(1024, 'v')).status, 201);
  const auto res = client().put("/v1/kv/big", std::string(1025, 'v'));
  EXPECT_TRUE(is_problem(res, 413, "value_too_large"));
  EXPECT_FALSE(res.keep_alive) << "the unread body makes the connection unusable";
  EXPECT_TRUE(is_problem(client().get("/v1/kv/big"), 404, "key_not_found"));
}

TEST_F(errors_test, declared_oversized_body_is_refused_before_it_is_sent) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("PUT /v1/kv/big HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n"));
  // Not one body byte is sent: the answer must come from the header alone.
  const auto res = sock.read_response();
  EXPECT_TRUE(is_problem(res, 413, "value_too_large"));
  EXPECT_FALSE(res.keep_alive);
  EXPECT_TRUE(sock.read_until_close().closed);
}

TEST_F(errors_test, chunked_body_that_grows_over_the_limit_is_413_value_too_large) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  std::string req = "PUT /v1/kv/big HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) req += "190\r\n" + std::string(0x190, 'c') + "\r\n";  // 4 x 400 bytes
  req += "0\r\n\r\n";
  ASSERT_TRUE(sock.send(req)) << sock.error();
  const auto res = sock.read_response();
  EXPECT_TRUE(is_problem(res, 413, "value_too_large"));
  EXPECT_TRUE(sock.read_until_close().closed);
  EXPECT_TRUE(is_problem(client().get("/v1/kv/big"), 404, "key_not_found"));
}

TEST_F(errors_test, chunked_body_within_the_limit_is_stored) {
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  ASSERT_TRUE(sock.send("PUT /v1/kv/chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  const auto res = sock.read_response();
  EXPECT_EQ(res.status, 201) << res;
  EXPECT_EQ(client().get("/v1/kv/chunked").body, "hello world");
}

TEST_F(errors_test, put_without_content_length_is_411_length_required) {
  const auto res = raw_exchange("PUT /v1/kv/k HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_TRUE(is_problem(res, 411, "length_required"));
}

TEST_F(errors_test, request_head_over_max_header_bytes_is_431) {
  EXPECT_EQ(client().get("/healthz", {{"X-Pad", std::string(6000, 'p')}}).status, 200);
  const auto res = client().get("/healthz", {{"X-Pad", std::string(9000, 'p')}});
  EXPECT_TRUE(is_problem(res, 431, "headers_too_large"));
}

TEST_F(errors_test, unknown_route_is_404_route_not_found) {
  for (const char* target : {"/nope", "/index.html", "/v1", "/v1/kvx", "/v2/kv/a", "/status/extra", "/v1/kv%2Fa"}) {
    EXPECT_TRUE(is_problem(client().get(target), 404, "route_not_found")) << target;
  }
}

TEST_F(errors_test, wrong_method_is_405_with_an_allow_header) {
  auto res = client().request(verb::post, "/v1/kv/a", "v");
  EXPECT_TRUE(is_problem(res, 405, "method_not_allowed"));
  EXPECT_EQ(res.header("Allow"), "GET, PUT, DELETE, HEAD");
  res = client().request(verb::patch, "/v1/kv/a", "v");
  EXPECT_TRUE(is_problem(res, 405, "method_not_allowed"));
  res = client().put("/v1/kv", "v");
  EXPECT_TRUE(is_problem(res, 405, "method_not_allowed"));
  EXPECT_EQ(res.header("Allow"), "GET, HEAD");
  res = client().del("/v1/kv");
  EXPECT_TRUE(is_problem(res, 405, "method_not_allowed"));
}

TEST_F(errors_test, unknown_query_parameter_on_a_key_route_is_bad_query) {
  EXPECT_TRUE(is_problem(client().get("/v1/kv/a?rev=1"), 400, "bad_query"));
  EXPECT_TRUE(is_problem(client().put("/v1/kv/a?expires=5", "v"), 400, "bad_query"));
  EXPECT_TRUE(is_problem(client().del("/v1/kv/a?force"), 400, "bad_query"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv/a"), 404, "key_not_found")) << "nothing was stored";
}

TEST_F(errors_test, overlong_content_type_is_400_bad_request) {
  const auto res = client().put("/v1/kv/a", "v", {{"Content-Type", "text/" + std::string(300, 'x')}});
  EXPECT_TRUE(is_problem(res, 400, "bad_request"));
}

TEST_F(errors_test, garbage_instead_of_http_gets_400_and_the_connection_closes) {
  for (const std::string& garbage : {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n", 13),
                                    std::string("HELLO\r\n\r\n"), std::string("GET /healthz HTTP/x.y\r\n\r\n")}) {
    raw_socket sock(server_.port());
    ASSERT_TRUE(sock.connected()) << sock.error();
    ASSERT_TRUE(sock.send(garbage));
    const auto res = sock.read_response();
    EXPECT_TRUE(is_problem(res, 400, "bad_request"));
    EXPECT_FALSE(res.keep_alive);
    EXPECT_TRUE(sock.read_until_close().closed);
  }
}

TEST_F(errors_test, bad_input_never_gets_a_5xx_and_the_server_keeps_serving) {
  const std::vector<std::string> requests = {
      "GET /v1/kv/a HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n",
      "GET /v1/kv/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "GET /v1/kv/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n",
      "PUT /v1/kv/a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "PUT /v1/kv/a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      "PUT /v1/kv/a HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n",
      "GET /v1/kv/a\x01 HTTP/1.1\r\nHost: localhost\r\n\r\n",
      "GET http://example.com/v1/kv/a HTTP/1.1\r\nHost: localhost\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n",
      "GET /v1/kv?limit=%%%% HTTP/1.1\r\nHost: localhost\r\n\r\n",
      "GET /v1/kv/%C0%80 HTTP/1.1\r\nHost: localhost\r\n\r\n",
      "PUT /v1/kv/a HTTP/1.1\r\nHost: localhost\r\nContent-Type: \xFF\xFE\r\nContent-Length: 1\r\n\r\nv",
      "GET /v1/kv/a HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: ,,,\"\r\n\r\n",
  };
  for (const auto& req : requests) {
    const auto res = raw_exchange(req);
    EXPECT_GE(res.status, 400) << req << "\n" << res;
    EXPECT_LT(res.status, 500) << req << "\n" << res;
  }
  EXPECT_EQ(client().get("/healthz").status, 200);
}

}  // namespace
}  // namespace livekv::test
