// GET /v1/kv: listing keys in byte order, prefixes, paging with next/start_after, values.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

class kv_list_test : public server_test {
 protected:
  void put_all(const std::vector<std::string>& keys) {
    for (const auto& k : keys) ASSERT_EQ(client().put(kv_path(k), "v:" + k).status, 201) << k;
  }

  static std::vector<std::string> keys_of(const nlohmann::json& page) {
    std::vector<std::string> out;
    for (const auto& item : page["items"]) out.push_back(item["key"].get<std::string>());
    return out;
  }

  // GETs a list page and checks it is a well-formed 200.
  nlohmann::json list(const std::string& target) {
    const auto res = client().get(target);
    EXPECT_EQ(res.status, 200) << target << "\n" << res;
    EXPECT_EQ(res.header("Content-Type"), "application/json") << res;
    auto j = res.json();
    EXPECT_TRUE(j.is_object() && j.contains("items") && j["items"].is_array() && j.contains("next") &&
                j.contains("revision"))
        << res;
    return j;
  }
};

TEST_F(kv_list_test, an_empty_store_lists_no_items_and_no_next) {
  const auto page = list("/v1/kv");
  EXPECT_TRUE(page["items"].empty());
  EXPECT_TRUE(page["next"].is_null());
  EXPECT_EQ(page["revision"], 0);
}

TEST_F(kv_list_test, keys_are_listed_in_byte_order_with_their_metadata) {
  // Inserted out of order; byte order puts upper case before lower case and multi-byte UTF-8 last.
  put_all({"b", "\xC3\xA9t\xC3\xA9", "a/2", "B", "a/10", "a", "a/1"});
  ASSERT_EQ(client().put("/v1/kv/a", "again").status, 200);
  const auto page = list("/v1/kv");
  const std::vector<std::string> expected = {"B", "a", "a/1", "a/10", "a/2", "b", "\xC3\xA9t\xC3\xA9"};
  EXPECT_EQ(keys_of(page), expected);
  EXPECT_TRUE(page["next"].is_null());
  EXPECT_EQ(page["revision"], 8);
  const auto& a = page["items"][1];
  EXPECT_EQ(a["create_revision"], 6);
  EXPECT_EQ(a["mod_revision"], 8);
  EXPECT_EQ(a["version"], 2);
  EXPECT_FALSE(a.contains("value"));
  EXPECT_FALSE(a.contains("value_base64"));
}

TEST_F(kv_list_test, prefix_selects_only_keys_that_start_with_it) {
  put_all({"app/a", "app/b", "apple", "ap", "zzz", "app"});
  EXPECT_EQ(keys_of(list("/v1/kv?prefix=app/")), (std::vector<std::string>{"app/a", "app/b"}));
  EXPECT_EQ(keys_of(list("/v1/kv?prefix=app")), (std::vector<std::string>{"app", "app/a", "app/b", "apple"}));
  EXPECT_TRUE(list("/v1/kv?prefix=nothing")["items"].empty());
}

TEST_F(kv_list_test, prefix_is_percent_decoded_and_plus_stays_a_plus) {
  put_all({"a b/1", "a+b/1", "a/b"});
  EXPECT_EQ(keys_of(list("/v1/kv?prefix=a%20b")), (std::vector<std::string>{"a b/1"}));
  EXPECT_EQ(keys_of(list("/v1/kv?prefix=a+b")), (std::vector<std::string>{"a+b/1"}));
  EXPECT_EQ(keys_of(list("/v1/kv?prefix=a%2F")), (std::vector<std::string>{"a/b"}));
}

TEST_F(kv_list_test, values_true_includes_utf8_values_as_strings_and_others_as_base64) {
  ASSERT_EQ(client().put("/v1/kv/text", "h\xC3\xA9llo").status, 201);
  ASSERT_EQ(client().put("/v1/kv/binary", std::string("\xFF\x00\x01", 3)).status, 201);
  ASSERT_EQ(client().put("/v1/kv/empty", "").status, 201);
  const auto page = list("/v1/kv?values=true");
  ASSERT_EQ(page["items"].size(), 3u);
  const auto& binary = page["items"][0];
  EXPECT_EQ(binary["key"], "binary");
  EXPECT_FALSE(binary.contains("value"));
  EXPECT_EQ(binary["value_base64"], "/wAB");
  const auto& empty = page["items"][1];
  EXPECT_EQ(empty["value"], "");
  const auto& text = page["items"][2];
  EXPECT_EQ(text["value"], "h\xC3\xA9llo");
  EXPECT_FALSE(text.contains("value_base64"));
}

TEST_F(kv_list_test, values_false_omits_values) {
  put_all({"k"});
  const auto page = list("/v1/kv?values=false");
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_FALSE(page["items"][0].contains("value"));
}

TEST_F(kv_list_test, limit_defaults_to_100) {
  std::vector<std::string> keys;
  for (int i = 0; i < 101; ++i) keys.push_back("k" + std::string(i < 10 ? "00" : i < 100 ? "0" : "") + std::to_string(i));
  put_all(keys);
  const auto page = list("/v1/kv");
  EXPECT_EQ(page["items"].size(), 100u);
  EXPECT_EQ(page["next"], "k099");
}

TEST_F(kv_list_test, limit_accepts_1_to_1000) {
  put_all({"a", "b"});
  const auto one = list("/v1/kv?limit=1");
  EXPECT_EQ(keys_of(one), (std::vector<std::string>{"a"}));
  EXPECT_EQ(one["next"], "a");
  EXPECT_EQ(keys_of(list("/v1/kv?limit=1000")), (std::vector<std::string>{"a", "b"}));
}

TEST_F(kv_list_test, limit_out_of_range_or_not_a_number_is_bad_query) {
  for (const char* limit : {"0", "1001", "abc", "-1", "", "10x", "99999999999999999999999"}) {
    EXPECT_TRUE(is_problem(client().get(std::string("/v1/kv?limit=") + limit), 400, "bad_query")) << limit;
  }
}

TEST_F(kv_list_test, next_is_null_when_the_page_holds_the_last_key) {
  put_all({"a", "b", "c"});
  const auto page = list("/v1/kv?limit=3");
  EXPECT_EQ(page["items"].size(), 3u);
  EXPECT_TRUE(page["next"].is_null());
}

TEST_F(kv_list_test, start_after_is_exclusive_and_need_not_be_a_stored_key) {
  put_all({"a", "b", "c"});
  EXPECT_EQ(keys_of(list("/v1/kv?start_after=a")), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(keys_of(list("/v1/kv?start_after=bb")), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(list("/v1/kv?start_after=c")["items"].empty());
}

TEST_F(kv_list_test, paging_with_next_as_start_after_visits_every_key_exactly_once) {
  std::vector<std::string> keys;
  for (int i = 0; i < 47; ++i) keys.push_back("p/" + std::to_string(i * 7919 % 1000));
  put_all({"o/outside", "q/outside"});
  put_all(keys);
  std::sort(keys.begin(), keys.end());

  std::vector<std::string> seen;
  std::string target = "/v1/kv?prefix=p/&limit=10";
  for (int pages = 0; pages < 100; ++pages) {  // bounded: 5 pages expected
    const auto page = list(target);
    const auto got = keys_of(page);
    seen.insert(seen.end(), got.begin(), got.end());
    if (page["next"].is_null()) break;
    ASSERT_EQ(page["next"], got.back());
    target = "/v1/kv?prefix=p/&limit=10&start_after=" + query_escape(page["next"].get<std::string>());
  }
  EXPECT_EQ(seen, keys);
}

TEST_F(kv_list_test, list_revision_is_the_store_revision) {
  put_all({"a", "b"});
  ASSERT_EQ(client().del("/v1/kv/a").status, 200);
  const auto res = client().get("/v1/kv");
  EXPECT_EQ(res.json()["revision"], 3);
  EXPECT_EQ(res.header("KV-Revision"), "3");
}

TEST_F(kv_list_test, unknown_or_malformed_query_parameters_are_bad_query) {
  EXPECT_TRUE(is_problem(client().get("/v1/kv?prefx=a"), 400, "bad_query"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv?values=maybe"), 400, "bad_query"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv?prefix=%ZZ"), 400, "bad_query"));
  EXPECT_TRUE(is_problem(client().get("/v1/kv?prefix=%FF"), 400, "bad_query"));
}

}  // namespace
}  // namespace livekv::test
