#include "livekv/store/key_table.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace livekv::store {
namespace {

entry entry_at(std::uint64_t rev, std::string_view bytes = "v") { return {make_value(bytes), rev, rev, 1, 0}; }

std::vector<std::string> keys_from(const key_table& t, std::string_view from) {
  std::vector<std::string> out;
  for (auto it = t.lower_bound(from); it != t.end(); ++it) out.emplace_back(it->key());
  return out;
}

TEST(key_table, finds_what_was_inserted_and_nothing_else) {
  key_table t;
  EXPECT_EQ(t.find("a"), nullptr);
  auto& n = t.insert("a", entry_at(1, "one"));
  EXPECT_EQ(n.key(), "a");
  ASSERT_NE(t.find("a"), nullptr);
  EXPECT_EQ(t.find("a"), &n);
  EXPECT_EQ(t.find("a")->e.val->bytes(), "one");
  EXPECT_EQ(t.find("b"), nullptr);
  EXPECT_EQ(t.find(std::string_view("a\0", 2)), nullptr);  // keys are compared as bytes, length included
  EXPECT_EQ(t.size(), 1u);
}

TEST(key_table, entries_are_changed_in_place_and_erased_keys_are_gone) {
  key_table t;
  t.insert("k", entry_at(1));
  t.find("k")->e.mod_revision = 5;
  EXPECT_EQ(t.find("k")->e.mod_revision, 5u);
  t.erase(*t.find("k"));
  EXPECT_EQ(t.find("k"), nullptr);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.lower_bound(""), t.end());
}

TEST(key_table, walks_keys_in_byte_order_from_any_bound) {
  key_table t;
  for (const char* k : {"b/2", "a", "b/1", "b", "c", "\xff", "b/10"}) t.insert(k, entry_at(1));
  EXPECT_EQ(keys_from(t, ""), (std::vector<std::string>{"a", "b", "b/1", "b/10", "b/2", "c", "\xff"}));
  EXPECT_EQ(keys_from(t, "b/"), (std::vector<std::string>{"b/1", "b/10", "b/2", "c", "\xff"}));
  auto after = t.upper_bound("b/1");
  ASSERT_NE(after, t.end());
  EXPECT_EQ(after->key(), "b/10");
}

// Growth moves the nodes between bucket arrays; every key must stay findable and ordered, and the
// values they hold must survive (the sanitizer builds check the old arrays are freed).
TEST(key_table, keys_survive_growth_through_many_rehashes) {
  key_table t;
  std::map<std::string, std::uint64_t> model;
  for (std::uint64_t i = 0; i < 5000; ++i) {
    std::string key = "key:" + std::to_string(i * 7919 % 5000) + std::string(i % 40, 'x');
    t.insert(key, entry_at(i + 1, key));
    model[key] = i + 1;
  }
  EXPECT_EQ(t.size(), model.size());
  EXPECT_GE(t.bucket_count(), t.size());
  for (const auto& [key, rev] : model) {
    const auto* n = t.find(key);
    ASSERT_NE(n, nullptr) << key;
    EXPECT_EQ(n->e.create_revision, rev);
    EXPECT_EQ(n->e.val->bytes(), key);
  }
  auto it = t.lower_bound("");
  for (const auto& [key, rev] : model) {
    ASSERT_NE(it, t.end());
    EXPECT_EQ(it->key(), key);
    ++it;
  }
  EXPECT_EQ(it, t.end());
}

TEST(key_table, erasing_half_the_keys_keeps_the_other_half_intact) {
  key_table t;
  for (int i = 0; i < 1000; ++i) t.insert("k" + std::to_string(i), entry_at(static_cast<std::uint64_t>(i)));
  for (int i = 0; i < 1000; i += 2) t.erase(*t.find("k" + std::to_string(i)));
  EXPECT_EQ(t.size(), 500u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(t.find("k" + std::to_string(i)) != nullptr, i % 2 == 1) << i;
}

TEST(key_table, reserve_sizes_the_buckets_up_front_and_never_shrinks) {
  key_table t;
  t.reserve(1000);
  const auto buckets = t.bucket_count();
  EXPECT_GE(buckets, 1000u);
  for (int i = 0; i < 1000; ++i) t.insert("k" + std::to_string(i), entry_at(1));
  EXPECT_EQ(t.bucket_count(), buckets);
  t.reserve(10);
  EXPECT_EQ(t.bucket_count(), buckets);
}

TEST(key_table, long_keys_are_held_whole) {
  key_table t;
  const std::string big(64 * 1024, 'k');
  t.insert(big, entry_at(1));
  ASSERT_NE(t.find(big), nullptr);
  EXPECT_EQ(t.find(big)->key(), big);
}

// The table releases, not destroys, its values: a reader's copy outlives the table.
TEST(key_table, a_value_held_elsewhere_outlives_the_table) {
  value_ptr held;
  {
    key_table t;
    t.insert("k", entry_at(1, "kept"));
    held = t.find("k")->e.val;
  }
  EXPECT_EQ(held->bytes(), "kept");
  EXPECT_EQ(held.use_count(), 1u);
}

}  // namespace
}  // namespace livekv::store
