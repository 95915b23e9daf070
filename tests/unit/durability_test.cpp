// A write's durable_ticket: what a handler hands the session so that the session can wait for the
// log without knowing the store or the log.
#include "livekv/durability.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace livekv {
namespace {

struct recording_log final : durability {
  void when_durable(std::uint64_t ticket, std::function<void(status)> done) override {
    asked.push_back(ticket);
    pending.push_back(std::move(done));
  }
  std::vector<std::uint64_t> asked;
  std::vector<std::function<void(status)>> pending;
};

TEST(durable_ticket, an_empty_ticket_is_durable_at_once) {
  int calls = 0;
  durable_ticket{}.when_durable([&](status s) {
    EXPECT_TRUE(s.ok());
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(durable_ticket{});
}

TEST(durable_ticket, ticket_number_zero_means_nothing_to_wait_for) {
  recording_log log;
  const durable_ticket t(log, 0);
  EXPECT_FALSE(t);
  bool answered = false;
  t.when_durable([&](status) { answered = true; });
  EXPECT_TRUE(answered);
  EXPECT_TRUE(log.asked.empty()) << "the log is not asked about a write it never had";
}

TEST(durable_ticket, a_ticket_asks_its_own_log_and_passes_the_outcome_on) {
  recording_log log;
  const durable_ticket t(log, 42);
  ASSERT_TRUE(t);
  EXPECT_EQ(t.number(), 42u);
  EXPECT_EQ(t.log(), &log);
  status seen;
  bool answered = false;
  t.when_durable([&](status s) {
    seen = std::move(s);
    answered = true;
  });
  EXPECT_FALSE(answered) << "not durable until the log says so";
  ASSERT_EQ(log.asked, (std::vector<std::uint64_t>{42}));
  log.pending[0](status(errc::read_only, "disk full"));
  ASSERT_TRUE(answered);
  EXPECT_EQ(seen.code(), errc::read_only);
}

}  // namespace
}  // namespace livekv
