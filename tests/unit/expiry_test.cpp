#include <gtest/gtest.h>

#include "livekv/store/clock.hpp"
#include "livekv/store/expiry_sweeper.hpp"
#include "livekv/store/kv_store.hpp"

namespace livekv::store {
namespace {

commit_request put_ttl(std::string key, std::string value, std::int64_t ttl_ms) {
  commit_request r;
  r.ops.push_back({operation::kind::put, std::move(key), make_value(value), ttl_ms, 0});
  return r;
}

class expiry_test : public ::testing::Test {
 protected:
  manual_clock clock_;
  kv_store store_{clock_};

  std::uint64_t put(std::string key, std::string value, std::int64_t ttl_ms = 0) {
    auto out = store_.commit(put_ttl(std::move(key), std::move(value), ttl_ms));
    EXPECT_TRUE(out && out->applied);
    return out->revision;
  }
};

TEST_F(expiry_test, key_is_readable_until_its_deadline_and_gone_at_it) {
  put("k", "v", 1000);
  EXPECT_EQ(store_.get("k")->expires_at_ms, clock_.now_ms() + 1000);
  clock_.advance_ms(999);
  EXPECT_TRUE(store_.get("k"));
  clock_.advance_ms(1);
  EXPECT_FALSE(store_.get("k"));
  EXPECT_TRUE(store_.list({"", std::nullopt, 10}).items.empty());
}

TEST_F(expiry_test, put_without_ttl_clears_the_deadline) {
  put("k", "v", 1000);
  put("k", "w");
  clock_.advance_ms(5000);
  ASSERT_TRUE(store_.get("k"));
  EXPECT_EQ(store_.get("k")->expires_at_ms, 0);
  EXPECT_EQ(store_.expire_due(100).expired, 0u);
}

TEST_F(expiry_test, expire_due_removes_due_keys_in_deadline_order_each_with_a_revision) {
  put("late", "v", 3000);
  put("early", "v", 1000);
  put("forever", "v");
  EXPECT_EQ(store_.expire_due(100).expired, 0u);
  clock_.advance_ms(1000);
  auto pass = store_.expire_due(100);
  EXPECT_EQ(pass.expired, 1u);
  EXPECT_EQ(store_.revision(), 4u);
  ASSERT_TRUE(pass.next_deadline_ms);
  EXPECT_EQ(*pass.next_deadline_ms, clock_.now_ms() + 2000);
  clock_.advance_ms(5000);
  EXPECT_EQ(store_.expire_due(100).expired, 1u);
  EXPECT_EQ(store_.revision(), 5u);
  EXPECT_EQ(store_.stats().keys, 1u);
  EXPECT_EQ(store_.stats().keys_with_ttl, 0u);
}

TEST_F(expiry_test, expire_due_is_bounded_per_call) {
  for (int i = 0; i < 10; ++i) put("k" + std::to_string(i), "v", 10);
  clock_.advance_ms(10);
  EXPECT_EQ(store_.expire_due(4).expired, 4u);
  EXPECT_EQ(store_.expire_due(4).expired, 4u);
  EXPECT_EQ(store_.expire_due(4).expired, 2u);
  EXPECT_EQ(store_.stats().keys, 0u);
}

TEST_F(expiry_test, rewritten_key_keeps_only_its_newest_deadline) {
  put("k", "v1", 100);
  put("k", "v2", 1000);
  clock_.advance_ms(100);
  EXPECT_EQ(store_.expire_due(100).expired, 0u);
  EXPECT_EQ(store_.get("k")->val->bytes(), "v2");
  clock_.advance_ms(900);
  EXPECT_EQ(store_.expire_due(100).expired, 1u);
}

TEST_F(expiry_test, a_write_touching_a_dead_key_first_records_its_expiry) {
  put("k", "old", 100);  // rev 1
  clock_.advance_ms(200);
  auto out = store_.commit(put_ttl("k", "new", 0));
  ASSERT_TRUE(out && out->applied);
  EXPECT_EQ(out->revision, 3u);  // rev 2 was the expire of the old life
  EXPECT_TRUE(out->results[0].created);
  EXPECT_FALSE(out->results[0].previous);
  EXPECT_EQ(store_.get("k")->create_revision, 3u);
  EXPECT_EQ(store_.get("k")->version, 1u);
}

TEST_F(expiry_test, conditions_see_an_expired_key_as_absent) {
  put("k", "v", 100);
  clock_.advance_ms(100);
  commit_request r;
  r.conditions.push_back({condition::kind::exists, "k", 0, {}, false});
  EXPECT_TRUE(store_.commit(r)->applied);
}

TEST_F(expiry_test, stale_deadlines_are_purged_when_they_dominate) {
  // Refreshing one key's TTL many times must not grow memory without bound.
  for (int i = 0; i < 5000; ++i) put("session", "v", 60'000);
  clock_.advance_ms(60'000);
  EXPECT_EQ(store_.expire_due(10'000).expired, 1u);
  EXPECT_FALSE(store_.expire_due(10'000).next_deadline_ms);
}

TEST(expiry_sweeper, removes_keys_on_the_real_clock_without_being_asked) {
  kv_store store;
  commit_request r = put_ttl("k", "v", 20);
  ASSERT_TRUE(store.commit(r)->applied);
  expiry_sweeper::options opts;
  opts.tick = std::chrono::milliseconds(5);
  opts.batch = 64;
  expiry_sweeper sweeper(store, opts);
  // Bounded wait for the background removal; the test asserts the outcome, not the timing.
  for (int i = 0; i < 2000 && store.stats().keys != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(store.stats().keys, 0u);
  EXPECT_EQ(store.revision(), 2u);
}

}  // namespace
}  // namespace livekv::store
