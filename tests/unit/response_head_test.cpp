#include "livekv/http/response_head.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "livekv/http/request_id.hpp"

namespace livekv::http {
namespace {

TEST(response_head, status_line_then_fields_in_order_then_added_ones) {
  response res{status_code::created, 11};
  res.set(field::content_type, "application/json");
  res.set("ETag", "\"7\"");
  res.content_length(12);
  response_head head;
  head.start(res);
  head.add("KV-Revision", std::uint64_t{18446744073709551615ull});
  head.add("X-Request-Id", "abc");
  head.finish();
  EXPECT_EQ(head.view(),
            "HTTP/1.1 201 Created\r\n"
            "Content-Type: application/json\r\n"
            "ETag: \"7\"\r\n"
            "Content-Length: 12\r\n"
            "KV-Revision: 18446744073709551615\r\n"
            "X-Request-Id: abc\r\n"
            "\r\n");
}

TEST(response_head, http_1_0_and_a_custom_reason_are_kept) {
  response res{status_code::ok, 10};
  res.reason("Fine");
  response_head head;
  head.start(res);
  head.finish();
  EXPECT_EQ(head.view(), "HTTP/1.0 200 Fine\r\n\r\n");
}

TEST(response_head, a_reused_head_starts_afresh) {
  response first{status_code::not_found, 11};
  first.set(field::content_type, "application/problem+json");
  response second{status_code::no_content, 11};
  response_head head;
  head.start(first);
  head.finish();
  head.start(second);
  head.finish();
  EXPECT_EQ(head.view(), "HTTP/1.1 204 No Content\r\n\r\n");
}

// What we write, Beast's own parser (the one our clients' libraries resemble) reads back.
TEST(response_head, beast_parses_what_it_writes) {
  response res{status_code::ok, 11};
  res.set(field::content_type, "text/plain");
  res.keep_alive(false);
  res.content_length(5);
  response_head head;
  head.start(res);
  head.add("KV-Revision", std::uint64_t{42});
  head.finish();
  const std::string wire = std::string(head.view()) + "hello";
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  boost::beast::error_code ec;
  parser.eager(true);
  parser.put(boost::asio::buffer(wire), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(parser.is_done());
  const auto& m = parser.get();
  EXPECT_EQ(m.result(), status_code::ok);
  EXPECT_FALSE(m.keep_alive());
  EXPECT_EQ(m["KV-Revision"], "42");
  EXPECT_EQ(m.body(), "hello");
}

TEST(request_id, ids_are_sane_distinct_and_prefixed_by_the_process) {
  const std::string a = make_request_id();
  const std::string b = make_request_id();
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_sane_request_id(a)) << a;
  ASSERT_GT(a.size(), 9u);
  EXPECT_EQ(a[8], '-') << a;
  EXPECT_EQ(a.substr(0, 9), b.substr(0, 9));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef-"), std::string::npos) << a;
}

}  // namespace
}  // namespace livekv::http
