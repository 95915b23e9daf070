// The long-poll waiters on their own: fired by the events that write their key at a newer
// revision, timed out at their deadline, handed back at stop.
#include "livekv/hub/key_waiters.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace livekv::hub {
namespace {

using steady = std::chrono::steady_clock;

struct answers {
  std::vector<std::string> got;
  key_waiters::done_fn make(std::string name) {
    return [this, name](bool changed) { got.push_back(name + (changed ? ":changed" : ":timeout")); };
  }
};

// Events are shared and never copied: built once, on the heap.
std::shared_ptr<event> write_of(std::uint64_t rev, std::vector<std::string> keys) {
  auto ev = std::make_shared<event>();
  ev->rev = rev;
  for (auto& k : keys) {
    event_op op;
    op.key = std::move(k);
    ev->ops.push_back(std::move(op));
  }
  return ev;
}

void answer(std::vector<key_waiters::done_fn>& fns, bool changed) {
  for (auto& f : fns) f(changed);
  fns.clear();
}

TEST(key_waiters, a_write_of_the_key_at_a_newer_revision_fires_only_its_waiters) {
  key_waiters w;
  answers a;
  const auto later = steady::now() + std::chrono::hours(1);
  auto fa = a.make("a"), fb = a.make("b"), fold = a.make("a-at-9");
  ASSERT_TRUE(w.add("a", 4, later, fa));
  ASSERT_TRUE(w.add("b", 4, later, fb));
  ASSERT_TRUE(w.add("a", 9, later, fold));  // already saw revision 9
  EXPECT_EQ(w.size(), 3u);

  EXPECT_TRUE(w.fire(*write_of(5, {"a", "c"})));
  EXPECT_FALSE(w.fire(*write_of(6, {"c"})));
  std::vector<key_waiters::done_fn> fired;
  w.take_fired(fired);
  answer(fired, true);
  EXPECT_EQ(a.got, (std::vector<std::string>{"a:changed"}));
  EXPECT_EQ(w.size(), 2u);
}

TEST(key_waiters, waiters_past_their_deadline_time_out_and_the_rest_stay) {
  key_waiters w;
  answers a;
  const auto now = steady::now();
  auto f1 = a.make("soon"), f2 = a.make("later");
  ASSERT_TRUE(w.add("k", 1, now, f1));
  ASSERT_TRUE(w.add("k", 1, now + std::chrono::hours(1), f2));
  std::vector<key_waiters::done_fn> expired;
  w.take_expired(now, expired);
  answer(expired, false);
  EXPECT_EQ(a.got, (std::vector<std::string>{"soon:timeout"}));
  EXPECT_EQ(w.size(), 1u);
}

TEST(key_waiters, stop_hands_back_every_waiter_and_refuses_new_ones) {
  key_waiters w;
  answers a;
  const auto later = steady::now() + std::chrono::hours(1);
  auto f1 = a.make("fired"), f2 = a.make("waiting");
  ASSERT_TRUE(w.add("x", 1, later, f1));
  ASSERT_TRUE(w.add("y", 1, later, f2));
  ASSERT_TRUE(w.fire(*write_of(2, {"x"})));
  std::vector<key_waiters::done_fn> changed, rest;
  w.stop(changed, rest);
  answer(changed, true);
  answer(rest, false);
  EXPECT_EQ(a.got, (std::vector<std::string>{"fired:changed", "waiting:timeout"}));
  EXPECT_EQ(w.size(), 0u);

  auto late = a.make("late");
  EXPECT_FALSE(w.add("z", 1, later, late));
  ASSERT_TRUE(late) << "a refused waiter is left with the caller, who answers it";
}

}  // namespace
}  // namespace livekv::hub
