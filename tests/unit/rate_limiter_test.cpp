// net/rate_limiter: a token bucket per client; time is injected through take()'s `now`.
#include "livekv/net/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <string>

namespace livekv::net {
namespace {

using namespace std::chrono_literals;
using clock = rate_limiter::clock;

const clock::time_point t0 = clock::time_point{} + 1000h;

TEST(rate_limiter, a_client_gets_its_burst_at_once_then_is_refused) {
  rate_limiter r(1.0, 3);
  for (int i = 0; i < 3; ++i) {
    const auto d = r.take("a", t0);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 2u - static_cast<unsigned>(i));
  }
  const auto refused = r.take("a", t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0u);
  EXPECT_EQ(refused.retry_after_s, 1u);
  EXPECT_EQ(refused.reset_s, 3u);
}

TEST(rate_limiter, the_bucket_refills_at_the_rate_and_never_beyond_the_burst) {
  rate_limiter r(2.0, 4);  // two per second
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(r.take("a", t0).allowed);
  EXPECT_FALSE(r.take("a", t0 + 100ms).allowed);
  EXPECT_TRUE(r.take("a", t0 + 500ms).allowed) << "one request back after half a second";
  EXPECT_FALSE(r.take("a", t0 + 600ms).allowed);
  // A long pause refills to the burst, no more.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(r.take("a", t0 + 1h).allowed) << i;
  EXPECT_FALSE(r.take("a", t0 + 1h).allowed);
}

TEST(rate_limiter, retry_after_is_the_whole_seconds_until_one_request_is_back) {
  rate_limiter r(0.25, 1);  // one every four seconds
  ASSERT_TRUE(r.take("a", t0).allowed);
  EXPECT_EQ(r.take("a", t0).retry_after_s, 4u);
  EXPECT_EQ(r.take("a", t0 + 1s).retry_after_s, 3u);
  EXPECT_EQ(r.take("a", t0 + 3500ms).retry_after_s, 1u) << "rounded up, at least 1";
  EXPECT_TRUE(r.take("a", t0 + 4s).allowed);
}

TEST(rate_limiter, clients_have_buckets_of_their_own) {
  rate_limiter r(1.0, 1);
  EXPECT_TRUE(r.take("token:alice", t0).allowed);
  EXPECT_FALSE(r.take("token:alice", t0).allowed);
  EXPECT_TRUE(r.take("token:bob", t0).allowed);
  EXPECT_TRUE(r.take("ip:127.0.0.1", t0).allowed);
  EXPECT_EQ(r.clients(), 3u);
}

TEST(rate_limiter, the_burst_defaults_to_one_second_of_the_rate_and_at_least_one) {
  EXPECT_EQ(rate_limiter(10.0, 0).burst(), 10u);
  EXPECT_EQ(rate_limiter(2.5, 0).burst(), 3u);
  EXPECT_EQ(rate_limiter(0.1, 0).burst(), 1u);
  EXPECT_EQ(rate_limiter(10.0, 7).burst(), 7u);
}

TEST(rate_limiter, the_policy_names_the_quota_and_the_window_it_takes_to_refill) {
  EXPECT_EQ(rate_limiter(1.0 / 60, 5).policy(), "\"client\";q=5;w=300");
  EXPECT_EQ(rate_limiter(10.0, 0).policy(), "\"client\";q=10;w=1");
  EXPECT_EQ(rate_limiter(100.0, 5).policy(), "\"client\";q=5;w=1") << "the window is at least a second";
}

TEST(rate_limiter, refilled_buckets_are_forgotten_when_the_table_grows_and_limits_hold) {
  rate_limiter r(1.0, 1);
  for (int i = 0; i < 1024; ++i) ASSERT_TRUE(r.take("old" + std::to_string(i), t0).allowed);
  ASSERT_TRUE(r.take("busy", t0 + 2s).allowed);
  // The table has reached 1024 clients: the next new one sweeps out every bucket that has refilled.
  EXPECT_TRUE(r.take("new", t0 + 2s).allowed);
  EXPECT_LT(r.clients(), 10u);
  EXPECT_FALSE(r.take("busy", t0 + 2s).allowed) << "a drained bucket is kept";
  EXPECT_TRUE(r.take("old0", t0 + 2s).allowed) << "a forgotten one starts full, as it had refilled";
}

TEST(rate_limiter, a_clock_that_goes_backwards_refills_nothing) {
  rate_limiter r(1.0, 1);
  ASSERT_TRUE(r.take("a", t0).allowed);
  EXPECT_FALSE(r.take("a", t0 - 10s).allowed);
}

}  // namespace
}  // namespace livekv::net
