#include "livekv/net/deadline.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>

namespace livekv::net {
namespace {

using namespace std::chrono_literals;

// The owner a session would be: the deadline lives inside it.
struct owner {
  explicit owner(boost::asio::io_context& ioc) : d(ioc.get_executor()) {}
  deadline d;
  int expired = 0;
};

std::shared_ptr<owner> make_owner(boost::asio::io_context& ioc) {
  auto o = std::make_shared<owner>(ioc);
  o->d.bind(o, [raw = o.get()] { ++raw->expired; });
  return o;
}

TEST(deadline, fires_once_when_it_passes) {
  boost::asio::io_context ioc;
  auto o = make_owner(ioc);
  o->d.set(1ms);
  ioc.run();  // returns once the timer has nothing left to wait for
  EXPECT_EQ(o->expired, 1);
}

TEST(deadline, moved_later_fires_no_earlier_than_the_new_time) {
  boost::asio::io_context ioc;
  auto o = make_owner(ioc);
  const auto start = deadline::clock::now();
  o->d.set(1ms);
  o->d.set(50ms);  // records the time only; the timer checks it when it fires at 1 ms
  ioc.run();
  EXPECT_EQ(o->expired, 1);
  EXPECT_GE(deadline::clock::now() - start, 50ms);
}

TEST(deadline, moved_earlier_fires_at_the_earlier_time) {
  boost::asio::io_context ioc;
  auto o = make_owner(ioc);
  o->d.set(1h);
  o->d.set(1ms);  // were the timer left at 1 h, run() would not return
  ioc.run();
  EXPECT_EQ(o->expired, 1);
}

TEST(deadline, a_cleared_deadline_never_fires) {
  boost::asio::io_context ioc;
  auto o = make_owner(ioc);
  o->d.set(1ms);
  o->d.clear();
  ioc.run();
  EXPECT_EQ(o->expired, 0);
}

TEST(deadline, a_cancelled_deadline_lets_the_context_finish) {
  boost::asio::io_context ioc;
  auto o = make_owner(ioc);
  o->d.set(1h);
  o->d.cancel();
  ioc.run();
  EXPECT_EQ(o->expired, 0);
}

TEST(deadline, a_destroyed_owner_is_never_called_back) {
  boost::asio::io_context ioc;
  int calls = 0;
  {
    auto o = std::make_shared<owner>(ioc);
    o->d.bind(o, [&calls] { ++calls; });
    o->d.set(1ms);
  }  // the timer goes with its owner; its pending handler must not touch either
  ioc.run();
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace livekv::net
