#include "livekv/store/kv_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace livekv::store {
namespace {

commit_request put(std::string key, std::string value) {
  commit_request r;
  r.ops.push_back({operation::kind::put, std::move(key), make_value(value)});
  return r;
}

commit_request erase(std::string key) {
  commit_request r;
  r.ops.push_back({operation::kind::erase, std::move(key), nullptr});
  return r;
}

std::uint64_t commit_ok(kv_store& s, const commit_request& r) {
  auto out = s.commit(r);
  EXPECT_TRUE(out.has_value());
  EXPECT_TRUE(out->applied);
  return out->revision;
}

TEST(kv_store, empty_store_has_revision_zero_and_no_keys) {
  kv_store s;
  EXPECT_EQ(s.revision(), 0u);
  EXPECT_FALSE(s.get("a").has_value());
  EXPECT_EQ(s.stats().keys, 0u);
}

TEST(kv_store, every_write_takes_the_next_revision) {
  kv_store s;
  EXPECT_EQ(commit_ok(s, put("a", "1")), 1u);
  EXPECT_EQ(commit_ok(s, put("b", "2")), 2u);
  EXPECT_EQ(commit_ok(s, put("a", "3")), 3u);
  EXPECT_EQ(commit_ok(s, erase("b")), 4u);
  EXPECT_EQ(s.revision(), 4u);
}

TEST(kv_store, put_tracks_create_mod_revision_and_version) {
  kv_store s;
  commit_ok(s, put("k", "v1"));
  commit_ok(s, put("other", "x"));
  commit_ok(s, put("k", "v2"));
  const auto e = s.get("k");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->val->bytes(), "v2");
  EXPECT_EQ(e->create_revision, 1u);
  EXPECT_EQ(e->mod_revision, 3u);
  EXPECT_EQ(e->version, 2u);
}

TEST(kv_store, put_reports_created_only_for_new_keys_and_returns_previous) {
  kv_store s;
  auto first = s.commit(put("k", "v1"));
  EXPECT_TRUE(first->results[0].created);
  EXPECT_FALSE(first->results[0].previous);
  auto second = s.commit(put("k", "v2"));
  EXPECT_FALSE(second->results[0].created);
  ASSERT_TRUE(second->results[0].previous);
  EXPECT_EQ(second->results[0].previous->val->bytes(), "v1");
}

TEST(kv_store, recreated_key_starts_a_new_life) {
  kv_store s;
  commit_ok(s, put("k", "a"));
  commit_ok(s, put("k", "b"));
  commit_ok(s, erase("k"));
  commit_ok(s, put("k", "c"));
  const auto e = s.get("k");
  EXPECT_EQ(e->create_revision, 4u);
  EXPECT_EQ(e->version, 1u);
}

TEST(kv_store, stats_count_key_and_value_bytes) {
  kv_store s;
  commit_ok(s, put("ab", "1234"));
  commit_ok(s, put("c", "5"));
  EXPECT_EQ(s.stats().keys, 2u);
  EXPECT_EQ(s.stats().bytes, 2u + 4u + 1u + 1u);
  commit_ok(s, put("ab", "12"));
  EXPECT_EQ(s.stats().bytes, 2u + 2u + 1u + 1u);
  commit_ok(s, erase("c"));
  EXPECT_EQ(s.stats().bytes, 4u);
  EXPECT_EQ(s.stats().keys, 1u);
}

TEST(kv_store, failed_condition_applies_nothing_and_takes_no_revision) {
  kv_store s;
  commit_ok(s, put("k", "v"));
  commit_request r = put("k", "w");
  r.ops.push_back({operation::kind::put, "other", make_value("x")});
  r.conditions.push_back({condition::kind::mod_revision, "k", 7, {}, true});
  auto out = s.commit(r);
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->applied);
  EXPECT_EQ(out->failed_condition, 0u);
  ASSERT_TRUE(out->failed_current);
  EXPECT_EQ(out->failed_current->mod_revision, 1u);
  EXPECT_EQ(s.revision(), 1u);
  EXPECT_EQ(s.get("k")->val->bytes(), "v");
  EXPECT_FALSE(s.get("other"));
}

TEST(kv_store, conditions_on_revision_value_and_existence) {
  kv_store s;
  commit_ok(s, put("k", "v"));
  const auto check = [&](condition c) {
    commit_request r;
    r.conditions.push_back(std::move(c));
    return s.commit(r)->applied;
  };
  EXPECT_TRUE(check({condition::kind::mod_revision, "k", 1, {}, true}));
  EXPECT_FALSE(check({condition::kind::mod_revision, "k", 2, {}, true}));
  EXPECT_TRUE(check({condition::kind::mod_revision, "absent", 0, {}, true}));
  EXPECT_TRUE(check({condition::kind::value_equals, "k", 0, "v", true}));
  EXPECT_FALSE(check({condition::kind::value_equals, "k", 0, "w", true}));
  EXPECT_FALSE(check({condition::kind::value_equals, "absent", 0, "", true}));
  EXPECT_TRUE(check({condition::kind::exists, "k", 0, {}, true}));
  EXPECT_FALSE(check({condition::kind::exists, "k", 0, {}, false}));
  EXPECT_TRUE(check({condition::kind::exists, "absent", 0, {}, false}));
}

TEST(kv_store, second_failing_condition_is_reported_by_index) {
  kv_store s;
  commit_request r;
  r.conditions.push_back({condition::kind::exists, "a", 0, {}, false});
  r.conditions.push_back({condition::kind::exists, "b", 0, {}, true});
  auto out = s.commit(r);
  EXPECT_EQ(out->failed_condition, 1u);
  EXPECT_FALSE(out->failed_current);
}

TEST(kv_store, multi_op_commit_shares_one_revision) {
  kv_store s;
  commit_request r = put("a", "1");
  r.ops.push_back({operation::kind::put, "b", make_value("2")});
  r.ops.push_back({operation::kind::erase, "missing", nullptr});
  EXPECT_EQ(commit_ok(s, r), 1u);
  EXPECT_EQ(s.get("a")->mod_revision, 1u);
  EXPECT_EQ(s.get("b")->mod_revision, 1u);
}

TEST(kv_store, read_only_commit_takes_no_revision) {
  kv_store s;
  commit_ok(s, put("a", "1"));
  commit_request r;
  r.ops.push_back({operation::kind::get, "a", nullptr});
  auto out = s.commit(r);
  EXPECT_EQ(out->revision, 1u);
  ASSERT_TRUE(out->results[0].previous);
  EXPECT_EQ(out->results[0].previous->val->bytes(), "1");
  EXPECT_EQ(s.revision(), 1u);
}

TEST(kv_store, list_returns_prefix_matches_in_byte_order) {
  kv_store s;
  for (const char* k : {"b/2", "a", "b/1", "b", "b/10", "c", "b0"}) commit_ok(s, put(k, "v"));
  const auto page = s.list({"b/", std::nullopt, 100});
  std::vector<std::string> keys;
  for (const auto& i : page.items) keys.push_back(i.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"b/1", "b/10", "b/2"}));
  EXPECT_FALSE(page.next);
  EXPECT_EQ(page.revision, 7u);
}

TEST(kv_store, empty_prefix_lists_everything_and_bytes_sort_unsigned) {
  kv_store s;
  commit_ok(s, put("\xc3\xa9", "v"));  // é sorts after every ASCII key
  commit_ok(s, put("z", "v"));
  commit_ok(s, put("A", "v"));
  const auto page = s.list({"", std::nullopt, 100});
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].key, "A");
  EXPECT_EQ(page.items[1].key, "z");
  EXPECT_EQ(page.items[2].key, "\xc3\xa9");
}

TEST(kv_store, paging_with_next_visits_every_key_once) {
  kv_store s;
  std::vector<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "p/%03d", i);
    expected.emplace_back(buf);
    commit_ok(s, put(buf, "v"));
  }
  commit_ok(s, put("q", "outside"));
  std::vector<std::string> seen;
  std::optional<std::string> after;
  for (int guard = 0; guard < 100; ++guard) {
    const auto page = s.list({"p/", after, 7});
    for (const auto& i : page.items) seen.push_back(i.key);
    if (!page.next) break;
    EXPECT_EQ(*page.next, page.items.back().key);
    after = page.next;
  }
  EXPECT_EQ(seen, expected);
}

TEST(kv_store, exact_limit_reports_no_next) {
  kv_store s;
  commit_ok(s, put("a1", "v"));
  commit_ok(s, put("a2", "v"));
  const auto page = s.list({"a", std::nullopt, 2});
  EXPECT_EQ(page.items.size(), 2u);
  EXPECT_FALSE(page.next);
}

TEST(kv_store, start_after_before_prefix_starts_at_prefix) {
  kv_store s;
  commit_ok(s, put("a", "v"));
  commit_ok(s, put("m1", "v"));
  commit_ok(s, put("m2", "v"));
  auto page = s.list({"m", std::string("b"), 10});
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].key, "m1");
  page = s.list({"m", std::string("m1"), 10});
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].key, "m2");
  page = s.list({"m", std::string("zz"), 10});
  EXPECT_TRUE(page.items.empty());
}

TEST(kv_store, deleted_keys_leave_the_index) {
  kv_store s;
  commit_ok(s, put("x/1", "v"));
  commit_ok(s, put("x/2", "v"));
  commit_ok(s, erase("x/1"));
  const auto page = s.list({"x/", std::nullopt, 10});
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].key, "x/2");
}

TEST(kv_store, a_held_value_survives_overwrite) {
  kv_store s;
  commit_ok(s, put("k", "old"));
  const auto held = s.get("k");
  commit_ok(s, put("k", "new"));
  EXPECT_EQ(held->val->bytes(), "old");
}

// Writers on shared and private keys with concurrent readers: revisions are a gapless sequence,
// each key's version counts its writes, and readers only ever see committed states.
TEST(kv_store, concurrent_writers_get_unique_gapless_revisions) {
  kv_store s;
  constexpr int threads = 6;
  constexpr int per_thread = 500;
  std::vector<std::vector<std::uint64_t>> revs(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const std::string key = (i % 2 == 0) ? "shared" : "own/" + std::to_string(t);
        revs[t].push_back(commit_ok(s, put(key, std::to_string(t) + ":" + std::to_string(i))));
        const auto e = s.get("shared");
        if (e) {
          EXPECT_LE(e->mod_revision, s.revision());
        }
        (void)s.list({"own/", std::nullopt, 10});
      }
    });
  }
  for (auto& th : pool) th.join();
  std::vector<std::uint64_t> all;
  for (auto& r : revs) {
    EXPECT_TRUE(std::is_sorted(r.begin(), r.end()));
    all.insert(all.end(), r.begin(), r.end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), std::size_t{threads * per_thread});
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i + 1);
  EXPECT_EQ(s.get("shared")->version, std::uint64_t{threads * per_thread / 2});
  for (int t = 0; t < threads; ++t) EXPECT_EQ(s.get("own/" + std::to_string(t))->version, std::uint64_t{per_thread / 2});
  EXPECT_EQ(s.revision(), std::uint64_t{threads * per_thread});
}

// Listing walks the ordered index while writers insert into and erase from it (rebalancing the
// tree and growing the hash buckets under the exclusive lock): every page a reader gets is in
// strict byte order, within its prefix, and each item carries the value written with its key.
TEST(kv_store, list_pages_stay_ordered_and_consistent_under_concurrent_inserts_and_erases) {
  kv_store s;
  constexpr int writers = 2;
  constexpr int keys_per_writer = 2000;
  std::vector<std::thread> pool;
  for (int w = 0; w < writers; ++w) {
    pool.emplace_back([&, w] {
      for (int i = 0; i < keys_per_writer; ++i) {
        const std::string key = "k/" + std::to_string(w) + "/" + std::to_string(i);
        commit_ok(s, put(key, key));
        if (i % 3 == 0) commit_ok(s, erase("k/" + std::to_string(w) + "/" + std::to_string(i / 2)));
      }
    });
  }
  std::vector<int> disorder(2, 0);
  for (int r = 0; r < 2; ++r) {
    pool.emplace_back([&, r] {
      for (int round = 0; round < 200; ++round) {
        std::optional<std::string> after;
        do {
          const auto page = s.list({"k/", after, 50});
          for (std::size_t i = 0; i < page.items.size(); ++i) {
            const auto& item = page.items[i];
            if (!item.key.starts_with("k/") || item.e.val->bytes() != item.key) ++disorder[static_cast<std::size_t>(r)];
            if (i > 0 && !(page.items[i - 1].key < item.key)) ++disorder[static_cast<std::size_t>(r)];
            if (after && !(*after < item.key)) ++disorder[static_cast<std::size_t>(r)];
          }
          after = page.next;
        } while (after);
      }
    });
  }
  for (auto& th : pool) th.join();
  for (const int d : disorder) EXPECT_EQ(d, 0);
  // The final listing holds exactly the keys not erased, in order.
  std::vector<std::string> expected;
  for (int w = 0; w < writers; ++w) {
    std::set<int> erased;
    for (int i = 0; i < keys_per_writer; i += 3) erased.insert(i / 2);
    for (int i = 0; i < keys_per_writer; ++i)
      if (!erased.contains(i)) expected.push_back("k/" + std::to_string(w) + "/" + std::to_string(i));
  }
  std::sort(expected.begin(), expected.end());
  const auto all = s.list({"k/", std::nullopt, expected.size() + 1});
  ASSERT_EQ(all.items.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(all.items[i].key, expected[i]);
  EXPECT_EQ(s.stats().keys, expected.size());
}

}  // namespace
}  // namespace livekv::store
