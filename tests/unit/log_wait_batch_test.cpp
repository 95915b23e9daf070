#include "livekv/net/log_wait_batch.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "livekv/durability.hpp"

namespace livekv::net {
namespace {

namespace asio = boost::asio;

// A log that records what it is asked to wait for and completes only when the test says so.
struct held_log final : durability {
  void when_durable(std::uint64_t ticket, std::function<void(status)> done) override {
    tickets.push_back(ticket);
    pending.push_back(std::move(done));
  }
  void complete_all(const status& s) {
    auto p = std::move(pending);
    pending.clear();
    for (auto& done : p) done(s);
  }
  std::vector<std::uint64_t> tickets;
  std::vector<std::function<void(status)>> pending;
};

struct recorder final : log_wait_batch::waiter {
  void on_log_done(const status& outcome) override {
    outcomes.push_back(outcome);
    threads.push_back(std::this_thread::get_id());
    if (then) then();
  }
  std::vector<status> outcomes;
  std::vector<std::thread::id> threads;
  std::function<void()> then;
};

struct fixture {
  log_wait_batch& batch() { return asio::use_service<log_wait_batch>(ioc); }
  // add() is called from a handler, as a session calls it.
  void add_in_handler(std::uint64_t ticket, std::shared_ptr<recorder> r) {
    asio::post(ioc, [this, ticket, r] { batch().add(durable_ticket(log, ticket), r); });
  }
  void turn() {
    ioc.restart();
    ioc.poll();
  }
  asio::io_context ioc{1};
  held_log log;
};

TEST(log_wait_batch, one_wait_for_the_newest_ticket_covers_a_turn_and_answers_come_after_it) {
  fixture f;
  auto a = std::make_shared<recorder>(), b = std::make_shared<recorder>(), c = std::make_shared<recorder>();
  f.add_in_handler(4, a);
  f.add_in_handler(9, b);
  f.add_in_handler(7, c);
  f.turn();
  ASSERT_EQ(f.log.tickets, (std::vector<std::uint64_t>{9}));
  EXPECT_TRUE(a->outcomes.empty() && b->outcomes.empty() && c->outcomes.empty());  // not durable yet

  // Completed on the batch's thread (as an everysec write done inline): answered at once.
  asio::post(f.ioc, [&] { f.log.complete_all(status::success()); });
  f.turn();
  for (const auto& r : {a, b, c}) {
    ASSERT_EQ(r->outcomes.size(), 1u);
    EXPECT_TRUE(r->outcomes[0].ok());
  }
}

TEST(log_wait_batch, a_failed_log_gives_every_waiter_the_failure) {
  fixture f;
  auto a = std::make_shared<recorder>(), b = std::make_shared<recorder>();
  f.add_in_handler(1, a);
  f.add_in_handler(2, b);
  f.turn();
  asio::post(f.ioc, [&] { f.log.complete_all(status(errc::read_only, "disk gone")); });
  f.turn();
  for (const auto& r : {a, b}) {
    ASSERT_EQ(r->outcomes.size(), 1u);
    EXPECT_EQ(r->outcomes[0].code(), errc::read_only);
  }
}

TEST(log_wait_batch, completed_on_another_thread_the_answers_run_on_the_batch_thread) {
  fixture f;
  auto a = std::make_shared<recorder>();
  f.add_in_handler(3, a);
  f.turn();
  std::thread([&] { f.log.complete_all(status::success()); }).join();
  EXPECT_TRUE(a->outcomes.empty());  // posted back, not run on the log's thread
  f.turn();
  ASSERT_EQ(a->threads.size(), 1u);
  EXPECT_EQ(a->threads[0], std::this_thread::get_id());
}

TEST(log_wait_batch, a_write_queued_while_answering_waits_in_the_next_batch) {
  fixture f;
  auto first = std::make_shared<recorder>(), second = std::make_shared<recorder>();
  // The connection answered starts its next request, whose write waits in turn.
  first->then = [&] { f.batch().add(durable_ticket(f.log, 12), second); };
  f.add_in_handler(11, first);
  f.turn();
  asio::post(f.ioc, [&] { f.log.complete_all(status::success()); });
  f.turn();
  ASSERT_EQ(f.log.tickets, (std::vector<std::uint64_t>{11, 12}));
  EXPECT_EQ(first->outcomes.size(), 1u);
  EXPECT_TRUE(second->outcomes.empty());
  asio::post(f.ioc, [&] { f.log.complete_all(status::success()); });
  f.turn();
  EXPECT_EQ(second->outcomes.size(), 1u);
}

TEST(log_wait_batch, a_waiter_that_throws_does_not_keep_the_others_from_their_answers) {
  fixture f;
  auto a = std::make_shared<recorder>(), b = std::make_shared<recorder>(), c = std::make_shared<recorder>();
  b->then = [] { throw std::runtime_error("out of memory, say"); };
  f.add_in_handler(1, a);
  f.add_in_handler(2, b);
  f.add_in_handler(3, c);
  f.turn();
  asio::post(f.ioc, [&] { f.log.complete_all(status::success()); });
  f.turn();
  EXPECT_EQ(a->outcomes.size(), 1u);
  EXPECT_EQ(b->outcomes.size(), 1u);
  EXPECT_EQ(c->outcomes.size(), 1u);
}

TEST(log_wait_batch, an_empty_ticket_is_still_answered_at_the_end_of_the_turn) {
  boost::asio::io_context ioc{1};
  auto a = std::make_shared<recorder>();
  bool answered_inside_handler = true;
  asio::post(ioc, [&] {
    asio::use_service<log_wait_batch>(ioc).add(durable_ticket{}, a);  // no log: nothing to wait for
    answered_inside_handler = !a->outcomes.empty();
  });
  ioc.poll();
  EXPECT_FALSE(answered_inside_handler);
  ASSERT_EQ(a->outcomes.size(), 1u);
  EXPECT_TRUE(a->outcomes[0].ok());
}

}  // namespace
}  // namespace livekv::net
