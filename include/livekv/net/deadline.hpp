#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace livekv::net {

// A connection's one deadline (idle, request or write), cheap to move.
//
// Beast's tcp_stream re-arms a kernel timer around every read and write: with keep-alive that is
// two timer updates per request for deadlines that almost never fire. Here set() only records the
// new time; the asio timer stays armed at the old, earlier time, and when it fires it either
// finds the deadline passed (and calls on_expire) or waits again for the remainder. A deadline
// moved *earlier* than the armed time (a request timeout after an idle one) re-arms at once, so
// no deadline ever fires late.
//
// Not thread-safe: use it on its owner's thread (its io_context's) only. The timer's handler holds only a weak
// reference to the owner, so a pending wait never keeps a closed connection alive.
class deadline {
 public:
  using executor_type = boost::asio::io_context::executor_type;
  using clock = std::chrono::steady_clock;

  explicit deadline(const executor_type& ex) : timer_(ex) {}

  // Must be called once before set(): `owner` is checked for life before each callback, and
  // `on_expire` runs on the executor's thread when a set deadline passes without being moved or
  // cleared.
  void bind(std::weak_ptr<void> owner, std::function<void()> on_expire);

  // The deadline becomes now + `after`.
  void set(clock::duration after);
  // No deadline until the next set().
  void clear() noexcept { active_ = false; }
  // Cancels the timer for good (the owner is being handed over or destroyed).
  void cancel();

 private:
  void arm(clock::time_point at);
  void on_timer(std::uint64_t generation, const boost::system::error_code& ec);

  boost::asio::basic_waitable_timer<clock, boost::asio::wait_traits<clock>, executor_type> timer_;
  std::weak_ptr<void> owner_;
  std::function<void()> on_expire_;
  clock::time_point at_{};
  bool active_ = false;  // a deadline is set
  bool armed_ = false;   // the timer has a wait pending (at timer_.expiry())
  std::uint64_t generation_ = 0;  // identifies the pending wait; a superseded one ignores itself
};

}  // namespace livekv::net
