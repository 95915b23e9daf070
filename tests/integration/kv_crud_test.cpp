// GET, HEAD, PUT and DELETE of single keys against the real binary: bodies, status codes, the
// revision headers, conditional GET, and how the path becomes a key.
#include <gtest/gtest.h>

#include <string>

#include "support/raw_socket.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

class kv_crud_test : public server_test {};

TEST_F(kv_crud_test, put_of_a_new_key_returns_201_created_with_its_revision) {
  const auto res = client().put("/v1/kv/greeting", "hello");
  ASSERT_EQ(res.status, 201) << res;
  EXPECT_EQ(res.header("Content-Type"), "application/json");
  const auto j = res.json();
  ASSERT_TRUE(j.is_object()) << res;
  EXPECT_EQ(j["key"], "greeting");
  EXPECT_EQ(j["revision"], 1);
  EXPECT_EQ(j["created"], true);
  EXPECT_EQ(res.header("ETag"), "\"1\"");
  EXPECT_EQ(res.header("Location"), "/v1/kv/greeting");
}

TEST_F(kv_crud_test, put_over_an_existing_key_returns_200_with_created_false) {
  ASSERT_EQ(client().put("/v1/kv/k", "one").status, 201);
  const auto res = client().put("/v1/kv/k", "two");
  ASSERT_EQ(res.status, 200) << res;
  const auto j = res.json();
  EXPECT_EQ(j["key"], "k");
  EXPECT_EQ(j["revision"], 2);
  EXPECT_EQ(j["created"], false);
  EXPECT_FALSE(res.headers.contains("Location"));
  EXPECT_EQ(client().get("/v1/kv/k").body, "two");
}

TEST_F(kv_crud_test, put_then_get_returns_value_with_revision_headers) {
  ASSERT_EQ(client().put("/v1/kv/other", "x").status, 201);  // so the key's revisions are not all 1
  ASSERT_EQ(client().put("/v1/kv/greeting", "hello world").status, 201);
  const auto res = client().get("/v1/kv/greeting");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.body, "hello world");
  EXPECT_EQ(res.header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(res.header("ETag"), "\"2\"");
  EXPECT_EQ(res.header("KV-Create-Revision"), "2");
  EXPECT_EQ(res.header("KV-Mod-Revision"), "2");
  EXPECT_EQ(res.header("KV-Version"), "1");
  EXPECT_EQ(res.header("KV-Revision"), "2");
}

TEST_F(kv_crud_test, overwrite_increments_version_and_keeps_create_revision) {
  ASSERT_EQ(client().put("/v1/kv/k", "v1").status, 201);
  ASSERT_EQ(client().put("/v1/kv/unrelated", "u").status, 201);
  ASSERT_EQ(client().put("/v1/kv/k", "v2").status, 200);
  ASSERT_EQ(client().put("/v1/kv/k", "v3").status, 200);
  const auto res = client().get("/v1/kv/k");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.body, "v3");
  EXPECT_EQ(res.header("KV-Create-Revision"), "1");
  EXPECT_EQ(res.header("KV-Mod-Revision"), "4");
  EXPECT_EQ(res.header("KV-Version"), "3");
  EXPECT_EQ(res.header("ETag"), "\"4\"");
}

TEST_F(kv_crud_test, get_returns_the_content_type_the_value_was_stored_with) {
  ASSERT_EQ(client().put("/v1/kv/doc", "{\"a\":1}", {{"Content-Type", "application/json"}}).status, 201);
  const auto res = client().get("/v1/kv/doc");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.header("Content-Type"), "application/json");
  EXPECT_EQ(res.body, "{\"a\":1}");
}

// A stored text/html value is served from the console's origin: every answer that carries a value
// (or, a 304, revalidates one) must keep a browser from running it or sniffing it into a script.
TEST_F(kv_crud_test, stored_html_is_served_sandboxed_with_no_sources_and_nosniff) {
  ASSERT_EQ(client().put("/v1/kv/page", "<script>alert(1)</script>", {{"Content-Type", "text/html"}}).status, 201);
  const http_response responses[] = {
      client().get("/v1/kv/page"),
      client().head("/v1/kv/page"),
      client().get("/v1/kv/page", {{"If-None-Match", "\"1\""}}),
      client().get("/v1/kv/page?wait=0"),  // a long-poll answered at once: the same value response
  };
  EXPECT_EQ(responses[0].status, 200);
  EXPECT_EQ(responses[0].header("Content-Type"), "text/html");
  EXPECT_EQ(responses[1].status, 200);
  EXPECT_EQ(responses[2].status, 304);
  EXPECT_EQ(responses[3].status, 200);
  for (const auto& res : responses) {
    EXPECT_EQ(res.header("Content-Security-Policy"), "sandbox; default-src 'none'") << res;
    EXPECT_EQ(res.headers.count("Content-Security-Policy"), 1u) << res;
    EXPECT_EQ(res.header("X-Content-Type-Options"), "nosniff") << res;
  }
}

TEST_F(kv_crud_test, get_of_a_missing_key_returns_404_key_not_found) {
  const auto res = client().get("/v1/kv/nope");
  EXPECT_TRUE(is_problem(res, 404, "key_not_found"));
  EXPECT_EQ(res.header("KV-Revision"), "0");
}

TEST_F(kv_crud_test, head_returns_the_get_headers_and_value_length_without_a_body) {
  ASSERT_EQ(client().put("/v1/kv/k", "twelve bytes", {{"Content-Type", "text/plain"}}).status, 201);
  const auto get = client().get("/v1/kv/k");
  const auto head = client().head("/v1/kv/k");
  ASSERT_EQ(head.status, 200) << head;
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(head.header("Content-Length"), "12");
  for (const char* name : {"Content-Type", "ETag", "KV-Create-Revision", "KV-Mod-Revision", "KV-Version",
                           "KV-Revision", "X-Content-Type-Options", "Content-Security-Policy"}) {
    EXPECT_TRUE(head.headers.contains(name)) << name;
    EXPECT_EQ(head.header(name), get.header(name)) << name;
  }
  // The connection is still usable: a body sent after HEAD headers would have corrupted it.
  EXPECT_EQ(client().get("/v1/kv/k").body, "twelve bytes");
  EXPECT_EQ(client().connections_opened(), 1u);
}

TEST_F(kv_crud_test, raw_head_response_carries_no_body_bytes) {
  ASSERT_EQ(client().put("/v1/kv/k", "some value").status, 201);
  raw_socket sock(server_.port());
  ASSERT_TRUE(sock.connected()) << sock.error();
  // HEAD then GET on one connection: if the HEAD leaked a body, the GET's status line would be
  // preceded by value bytes and fail to parse.
  ASSERT_TRUE(sock.send("HEAD /v1/kv/k HTTP/1.1\r\nHost: localhost\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto head = sock.read_response(default_raw_timeout, true);
  EXPECT_EQ(head.status, 200) << head;
  EXPECT_EQ(head.header("Content-Length"), "10");
  const auto next = sock.read_response();
  EXPECT_EQ(next.status, 200) << next;
  EXPECT_TRUE(next.json().is_object()) << next;
}

TEST_F(kv_crud_test, head_of_a_missing_key_returns_404_without_a_body) {
  const auto res = client().head("/v1/kv/nope");
  EXPECT_EQ(res.status, 404) << res;
  EXPECT_EQ(res.body, "");
  EXPECT_EQ(client().get("/healthz").status, 200);
}

TEST_F(kv_crud_test, if_none_match_with_the_current_etag_returns_304) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  const auto res = client().get("/v1/kv/k", {{"If-None-Match", "\"1\""}});
  EXPECT_EQ(res.status, 304) << res;
  EXPECT_EQ(res.body, "");
  EXPECT_EQ(res.header("ETag"), "\"1\"");
  EXPECT_EQ(res.header("KV-Mod-Revision"), "1");
  EXPECT_TRUE(res.headers.contains("KV-Revision"));
  // 304 has no body by definition; the connection must stay usable.
  EXPECT_EQ(client().get("/v1/kv/k").body, "v");
}

TEST_F(kv_crud_test, if_none_match_with_a_stale_etag_returns_the_new_value) {
  ASSERT_EQ(client().put("/v1/kv/k", "old").status, 201);
  ASSERT_EQ(client().put("/v1/kv/k", "new").status, 200);
  const auto res = client().get("/v1/kv/k", {{"If-None-Match", "\"1\""}});
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.body, "new");
  EXPECT_EQ(res.header("ETag"), "\"2\"");
}

TEST_F(kv_crud_test, if_none_match_accepts_a_list_weak_tags_and_star) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  EXPECT_EQ(client().get("/v1/kv/k", {{"If-None-Match", "\"7\", \"1\""}}).status, 304);
  EXPECT_EQ(client().get("/v1/kv/k", {{"If-None-Match", "W/\"1\""}}).status, 304);
  EXPECT_EQ(client().get("/v1/kv/k", {{"If-None-Match", "*"}}).status, 304);
  EXPECT_EQ(client().get("/v1/kv/k", {{"If-None-Match", "\"2\""}}).status, 200);
}

TEST_F(kv_crud_test, delete_of_an_existing_key_returns_its_revision_and_removes_it) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  const auto res = client().del("/v1/kv/k");
  ASSERT_EQ(res.status, 200) << res;
  const auto j = res.json();
  EXPECT_EQ(j["key"], "k");
  EXPECT_EQ(j["revision"], 2);
  EXPECT_EQ(res.header("KV-Revision"), "2");
  EXPECT_TRUE(is_problem(client().get("/v1/kv/k"), 404, "key_not_found"));
}

TEST_F(kv_crud_test, delete_of_a_missing_key_returns_404_and_does_not_advance_the_revision) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  const auto res = client().del("/v1/kv/missing");
  EXPECT_TRUE(is_problem(res, 404, "key_not_found"));
  EXPECT_EQ(current_revision(), 1u);
}

TEST_F(kv_crud_test, a_recreated_key_starts_a_new_life_with_version_one) {
  ASSERT_EQ(client().put("/v1/kv/k", "a").status, 201);
  ASSERT_EQ(client().put("/v1/kv/k", "b").status, 200);
  ASSERT_EQ(client().del("/v1/kv/k").status, 200);
  const auto put = client().put("/v1/kv/k", "c");
  EXPECT_EQ(put.status, 201) << put;
  EXPECT_EQ(put.json()["created"], true);
  const auto res = client().get("/v1/kv/k");
  EXPECT_EQ(res.header("KV-Create-Revision"), "4");
  EXPECT_EQ(res.header("KV-Version"), "1");
}

TEST_F(kv_crud_test, key_is_the_rest_of_the_path_and_may_contain_slashes) {
  ASSERT_EQ(client().put("/v1/kv/app/config/db", "postgres://").status, 201);
  EXPECT_EQ(client().get("/v1/kv/app/config/db").body, "postgres://");
  const auto list = client().get("/v1/kv?prefix=app/");
  ASSERT_EQ(list.status, 200) << list;
  ASSERT_EQ(list.json()["items"].size(), 1u) << list;
  EXPECT_EQ(list.json()["items"][0]["key"], "app/config/db");
}

TEST_F(kv_crud_test, double_and_trailing_slashes_make_distinct_keys) {
  ASSERT_EQ(client().put("/v1/kv/a/b", "plain").status, 201);
  ASSERT_EQ(client().put("/v1/kv/a//b", "double").status, 201);
  ASSERT_EQ(client().put("/v1/kv/a/b/", "trailing").status, 201);
  EXPECT_EQ(client().get("/v1/kv/a/b").body, "plain");
  EXPECT_EQ(client().get("/v1/kv/a//b").body, "double");
  EXPECT_EQ(client().get("/v1/kv/a/b/").body, "trailing");
  EXPECT_EQ(client().get("/v1/kv?prefix=a").json()["items"].size(), 3u);
}

TEST_F(kv_crud_test, percent_encoded_slash_decodes_to_the_same_key) {
  ASSERT_EQ(client().put("/v1/kv/a%2Fb", "v").status, 201);
  const auto res = client().get("/v1/kv/a/b");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.body, "v");
  EXPECT_EQ(client().put("/v1/kv/a%2fb", "w").status, 200) << "lower-case hex decodes too";
}

TEST_F(kv_crud_test, plus_is_a_literal_plus_and_space_is_percent_20) {
  ASSERT_EQ(client().put("/v1/kv/a+b", "plus").status, 201);
  ASSERT_EQ(client().put("/v1/kv/a%20b", "space").status, 201);
  EXPECT_EQ(client().get("/v1/kv/a%2Bb").body, "plus");
  const auto list = client().get("/v1/kv?prefix=a");
  ASSERT_EQ(list.status, 200) << list;
  const auto items = list.json()["items"];
  ASSERT_EQ(items.size(), 2u) << list;
  EXPECT_EQ(items[0]["key"], "a b");
  EXPECT_EQ(items[1]["key"], "a+b");
}

TEST_F(kv_crud_test, utf8_keys_round_trip) {
  const std::string key = "\xD0\xBA\xD0\xBB\xD1\x8E\xD1\x87/\xC3\xBC\xE2\x82\xAC";  // "ключ/ü€"
  const auto put = client().put(kv_path(key), "v");
  ASSERT_EQ(put.status, 201) << put;
  EXPECT_EQ(put.json()["key"], key);
  EXPECT_EQ(client().get(kv_path(key)).body, "v");
}

TEST_F(kv_crud_test, keys_with_quotes_and_backslashes_come_back_intact_in_json) {
  const std::string key = "say \"hi\" \\ or {not}";
  const auto put = client().put(kv_path(key), "v");
  ASSERT_EQ(put.status, 201) << put;
  EXPECT_EQ(put.json()["key"], key);
  EXPECT_EQ(put.json()["created"], true);
  const auto again = client().put(kv_path(key), "w");
  ASSERT_EQ(again.status, 200) << again;
  EXPECT_EQ(again.json()["key"], key);
  EXPECT_EQ(again.json()["created"], false);
  EXPECT_EQ(again.json()["revision"], put.json()["revision"].get<std::uint64_t>() + 1);
}

TEST_F(kv_crud_test, binary_values_round_trip_byte_for_byte) {
  std::string value;
  for (int i = 0; i < 512; ++i) value += static_cast<char>(i % 256);
  ASSERT_EQ(client().put("/v1/kv/bin", value).status, 201);
  const auto res = client().get("/v1/kv/bin");
  ASSERT_EQ(res.status, 200);
  EXPECT_EQ(res.body, value);
  EXPECT_EQ(res.header("Content-Length"), "512");
}

TEST_F(kv_crud_test, an_empty_value_is_stored_and_served) {
  const auto put = client().put("/v1/kv/empty", "");
  ASSERT_EQ(put.status, 201) << put;
  const auto res = client().get("/v1/kv/empty");
  ASSERT_EQ(res.status, 200) << res;
  EXPECT_EQ(res.body, "");
  EXPECT_EQ(res.header("Content-Length"), "0");
}

TEST_F(kv_crud_test, every_response_carries_the_current_store_revision) {
  ASSERT_EQ(client().put("/v1/kv/a", "1").status, 201);
  ASSERT_EQ(client().put("/v1/kv/b", "2").status, 201);
  const http_response responses[] = {
      client().get("/v1/kv/a"),      client().head("/v1/kv/a"),
      client().get("/v1/kv/a", {{"If-None-Match", "\"1\""}}),
      client().get("/v1/kv/missing"), client().get("/v1/kv"),
      client().get("/status"),       client().get("/healthz"),
      client().get("/readyz"),       client().get("/no/such/route"),
      client().request(verb::post, "/v1/kv/a", "x"),
      client().get("/v1/kv/%FF"),
  };
  for (const auto& res : responses) {
    EXPECT_NE(res.status, 0) << res;
    EXPECT_EQ(res.header("KV-Revision"), "2") << res;
  }
}

}  // namespace
}  // namespace livekv::test
