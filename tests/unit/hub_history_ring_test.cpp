// The live feed's in-memory history: bounded by count and by bytes, always holding the newest
// event, and answering "what came after revision R" for resumes and subscriber backlogs.
#include "livekv/hub/history_ring.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace livekv::hub {
namespace {

constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

// A put event at `rev` whose value is `value_bytes` long (so its footprint is known and tunable).
event_ptr put_event(std::uint64_t rev, std::size_t value_bytes = 8) {
  auto ev = std::make_shared<event>();
  ev->kind = event_kind::put;
  ev->rev = rev;
  ev->ts_ms = 1'700'000'000'000;
  event_op op;
  op.key = "k";  // the same size for every revision: equal footprints
  op.val = store::make_value(std::string(value_bytes, 'v'));
  op.version = 1;
  ev->ops.push_back(std::move(op));
  return ev;
}

// Every event of the same shape has the same footprint: the unit of the byte bounds below.
std::size_t footprint_of_one() { return put_event(1)->footprint(); }

std::vector<std::uint64_t> revisions(const std::vector<event_ptr>& evs) {
  std::vector<std::uint64_t> out;
  for (const auto& e : evs) out.push_back(e->rev);
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
  std::vector<std::uint64_t> out;
  for (auto r = from; r <= to; ++r) out.push_back(r);
  return out;
}

std::vector<std::uint64_t> copy_after(const history_ring& ring, std::uint64_t after, std::size_t max_events = unlimited,
                                      std::size_t max_bytes = unlimited) {
  std::vector<event_ptr> out;
  ring.copy_after(after, max_events, max_bytes, out);
  return revisions(out);
}

TEST(history_ring, an_empty_ring_starts_after_its_base_revision) {
  history_ring ring(10, unlimited, 41);
  EXPECT_EQ(ring.head(), 41u);
  EXPECT_EQ(ring.first(), 42u);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.bytes(), 0u);
  EXPECT_TRUE(copy_after(ring, 41).empty());
  EXPECT_EQ(ring.bytes_after(41), 0u);
}

TEST(history_ring, pushes_advance_head_and_count_their_footprint) {
  history_ring ring(10, unlimited, 0);
  std::size_t bytes = 0;
  for (std::uint64_t r = 1; r <= 4; ++r) {
    auto ev = put_event(r, r * 10);
    bytes += ev->footprint();
    ring.push(ev);
  }
  EXPECT_EQ(ring.head(), 4u);
  EXPECT_EQ(ring.first(), 1u);
  EXPECT_EQ(ring.size(), 4u);
  EXPECT_EQ(ring.bytes(), bytes);
}

TEST(history_ring, the_oldest_events_are_evicted_beyond_max_events) {
  history_ring ring(3, unlimited, 0);
  for (std::uint64_t r = 1; r <= 10; ++r) ring.push(put_event(r));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.first(), 8u);
  EXPECT_EQ(ring.head(), 10u);
  EXPECT_EQ(ring.bytes(), 3 * footprint_of_one());
  EXPECT_EQ(copy_after(ring, 7), range(8, 10));
}

TEST(history_ring, the_oldest_events_are_evicted_beyond_max_bytes) {
  const auto f = footprint_of_one();
  // Room for three and a half events: three stay.
  history_ring ring(1000, 3 * f + f / 2, 0);
  for (std::uint64_t r = 1; r <= 10; ++r) ring.push(put_event(r));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.first(), 8u);
  EXPECT_EQ(ring.bytes(), 3 * f);
  EXPECT_LE(ring.bytes(), 3 * f + f / 2);
}

TEST(history_ring, exactly_max_bytes_is_still_within_the_bound) {
  const auto f = footprint_of_one();
  history_ring ring(1000, 3 * f, 0);
  for (std::uint64_t r = 1; r <= 5; ++r) ring.push(put_event(r));
  EXPECT_EQ(ring.size(), 3u);
  EXPECT_EQ(ring.bytes(), 3 * f);
}

TEST(history_ring, the_newest_event_stays_even_when_it_alone_exceeds_max_bytes) {
  history_ring ring(1000, 16, 0);
  ring.push(put_event(1, 4096));
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.first(), 1u);
  EXPECT_EQ(copy_after(ring, 0), range(1, 1));

  ring.push(put_event(2, 8192));
  EXPECT_EQ(ring.size(), 1u);
  EXPECT_EQ(ring.first(), 2u);
  EXPECT_EQ(ring.head(), 2u);
  EXPECT_EQ(ring.bytes(), put_event(2, 8192)->footprint());
}

TEST(history_ring, a_large_event_evicts_as_many_older_ones_as_needed) {
  const auto f = footprint_of_one();
  history_ring ring(1000, 4 * f, 0);
  for (std::uint64_t r = 1; r <= 4; ++r) ring.push(put_event(r));
  ASSERT_EQ(ring.size(), 4u);
  // An event worth three small ones leaves room for exactly one small one beside it.
  auto big = put_event(5, 8 + 2 * f);
  ASSERT_EQ(big->footprint(), 3 * f);
  ring.push(big);
  EXPECT_EQ(ring.head(), 5u);
  EXPECT_LE(ring.bytes(), 4 * f);
  EXPECT_EQ(ring.first(), 4u);
  EXPECT_EQ(ring.bytes(), f + big->footprint());
}

TEST(history_ring, copy_after_returns_every_later_event_oldest_first_from_any_held_revision) {
  history_ring ring(5, unlimited, 0);
  for (std::uint64_t r = 1; r <= 12; ++r) ring.push(put_event(r));
  ASSERT_EQ(ring.first(), 8u);
  for (std::uint64_t after = ring.first() - 1; after <= ring.head(); ++after)
    EXPECT_EQ(copy_after(ring, after), range(after + 1, 12)) << "after " << after;
}

TEST(history_ring, copy_after_appends_to_what_the_caller_already_has) {
  history_ring ring(5, unlimited, 0);
  for (std::uint64_t r = 1; r <= 3; ++r) ring.push(put_event(r));
  std::vector<event_ptr> out{put_event(99)};
  ring.copy_after(1, unlimited, unlimited, out);
  EXPECT_EQ(revisions(out), (std::vector<std::uint64_t>{99, 2, 3}));
}

TEST(history_ring, copy_after_stops_at_max_events) {
  history_ring ring(100, unlimited, 0);
  for (std::uint64_t r = 1; r <= 10; ++r) ring.push(put_event(r));
  EXPECT_EQ(copy_after(ring, 0, 3), range(1, 3));
  EXPECT_EQ(copy_after(ring, 6, 3), range(7, 9));
  EXPECT_EQ(copy_after(ring, 8, 3), range(9, 10));
  EXPECT_EQ(copy_after(ring, 4, 1), range(5, 5));
}

TEST(history_ring, copy_after_stops_before_max_bytes_would_be_exceeded) {
  const auto f = footprint_of_one();
  history_ring ring(100, unlimited, 0);
  for (std::uint64_t r = 1; r <= 10; ++r) ring.push(put_event(r));
  EXPECT_EQ(copy_after(ring, 0, unlimited, 3 * f), range(1, 3));
  EXPECT_EQ(copy_after(ring, 0, unlimited, 3 * f + f - 1), range(1, 3));
  EXPECT_EQ(copy_after(ring, 0, unlimited, 3 * f - 1), range(1, 2));
  // The byte budget counts from `after`, not from the start of the ring.
  EXPECT_EQ(copy_after(ring, 5, unlimited, 2 * f), range(6, 7));
  // Both bounds: the tighter one wins.
  EXPECT_EQ(copy_after(ring, 0, 2, 5 * f), range(1, 2));
}

TEST(history_ring, copy_after_returns_at_least_one_event_whatever_max_bytes) {
  history_ring ring(100, unlimited, 0);
  ring.push(put_event(1, 10));
  ring.push(put_event(2, 4096));
  ring.push(put_event(3, 10));
  EXPECT_EQ(copy_after(ring, 0, unlimited, 1), range(1, 1));
  EXPECT_EQ(copy_after(ring, 1, unlimited, 1), range(2, 2));
  EXPECT_EQ(copy_after(ring, 1, unlimited, 0), range(2, 2));
}

TEST(history_ring, copy_after_the_head_is_empty) {
  history_ring ring(100, unlimited, 0);
  for (std::uint64_t r = 1; r <= 3; ++r) ring.push(put_event(r));
  EXPECT_TRUE(copy_after(ring, 3).empty());
}

TEST(history_ring, bytes_after_is_the_footprint_of_the_later_events_even_after_evictions) {
  history_ring ring(4, unlimited, 0);
  std::vector<std::size_t> fp(11);
  for (std::uint64_t r = 1; r <= 10; ++r) {
    auto ev = put_event(r, r * 3);
    fp[r] = ev->footprint();
    ring.push(ev);
  }
  ASSERT_EQ(ring.first(), 7u);
  std::uint64_t expected = 0;
  for (std::uint64_t after = 10; after >= 6; --after) {
    EXPECT_EQ(ring.bytes_after(after), expected) << "after " << after;
    expected += fp[after];
  }
  EXPECT_EQ(ring.bytes_after(6), ring.bytes());
}

// The oldest event's start is kept as an offset when older ones leave, by count or by bytes: a
// byte budget from just before it still counts from its own first byte.
TEST(history_ring, copy_after_from_the_oldest_counts_bytes_from_its_start_after_evictions) {
  const auto f = footprint_of_one();
  history_ring by_count(4, unlimited, 0);
  for (std::uint64_t r = 1; r <= 9; ++r) by_count.push(put_event(r));
  ASSERT_EQ(by_count.first(), 6u);
  EXPECT_EQ(copy_after(by_count, 5, unlimited, 2 * f), range(6, 7));
  EXPECT_EQ(by_count.bytes(), 4 * f);

  history_ring by_bytes(1000, 3 * f, 0);
  for (std::uint64_t r = 1; r <= 4; ++r) by_bytes.push(put_event(r));
  by_bytes.push(put_event(5, 8 + f));  // worth two: evicts two
  ASSERT_EQ(by_bytes.first(), 4u);
  EXPECT_EQ(by_bytes.bytes(), 3 * f);
  EXPECT_EQ(copy_after(by_bytes, 3, unlimited, f), range(4, 4));
  EXPECT_EQ(copy_after(by_bytes, 3, unlimited, 3 * f), range(4, 5));
  EXPECT_EQ(copy_after(by_bytes, 3, unlimited, 3 * f - 1), range(4, 4));
}

TEST(history_ring, reset_empties_the_ring_and_continues_after_the_new_base) {
  history_ring ring(4, unlimited, 0);
  for (std::uint64_t r = 1; r <= 6; ++r) ring.push(put_event(r));
  ring.reset(100);
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring.bytes(), 0u);
  EXPECT_EQ(ring.head(), 100u);
  EXPECT_EQ(ring.first(), 101u);
  EXPECT_TRUE(copy_after(ring, 100).empty());
  EXPECT_EQ(ring.bytes_after(100), 0u);

  auto ev = put_event(101);
  ring.push(ev);
  ring.push(put_event(102));
  EXPECT_EQ(ring.first(), 101u);
  EXPECT_EQ(copy_after(ring, 100), range(101, 102));
  EXPECT_EQ(copy_after(ring, 100, unlimited, ev->footprint()), range(101, 101));
  EXPECT_EQ(ring.bytes_after(101), put_event(102)->footprint());
  EXPECT_EQ(ring.bytes_after(100), ring.bytes());
}

}  // namespace
}  // namespace livekv::hub
