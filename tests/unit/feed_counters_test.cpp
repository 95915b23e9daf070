#include "livekv/feed/feed_counters.hpp"

#include <gtest/gtest.h>

namespace livekv::feed {
namespace {

TEST(feed_counters, counts_messages_and_cut_offs_by_cause) {
  feed_counters c;
  c.count_sent(7);
  c.count_sent(3);
  c.count_cut_off(4, false);
  c.count_cut_off(2, true);
  c.count_cut_off(1, true);
  const auto n = c.counts();
  EXPECT_EQ(n.messages_sent, 10u);
  EXPECT_EQ(n.events_dropped, 7u);
  EXPECT_EQ(n.disconnected_lag, 1u);
  EXPECT_EQ(n.disconnected_compacted, 2u);
}

}  // namespace
}  // namespace livekv::feed
