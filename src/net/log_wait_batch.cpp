#include "livekv/net/log_wait_batch.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <exception>
#include <spdlog/spdlog.h>

namespace livekv::net {

namespace asio = boost::asio;

asio::execution_context::id log_wait_batch::id;

log_wait_batch::log_wait_batch(asio::io_context& ctx) : asio::execution_context::service(ctx), ctx_(ctx) {}

void log_wait_batch::add(const durable_ticket& ticket, std::shared_ptr<waiter> w) {
  waiting_.push_back(std::move(w));
  if (!posted_) {
    // Posted from a handler, flush() runs after the handlers of this turn's ready connections (and
    // one non-blocking look for more events): by then the turn's records are all in the log.
    try {
      asio::post(ctx_, [this] { flush(); });
    } catch (...) {
      waiting_.pop_back();  // nothing would ever answer it
      throw;
    }
    posted_ = true;
  }
  if (ticket.number() > newest_.number()) newest_ = ticket;
}

void log_wait_batch::flush() {
  posted_ = false;
  auto answers = std::make_shared<batch>();
  answers->swap(waiting_);
  waiting_.reserve(answers->size());  // the next turn is likely as busy as this one
  // One waiter for the newest ticket covers the older ones: the log writes in ticket order.
  std::exchange(newest_, {}).when_durable([this, answers](status outcome) {
    // Usually inline, on this thread (everysec: we wrote the records ourselves).
    if (ctx_.get_executor().running_in_this_thread()) return complete(*answers, outcome);
    asio::post(ctx_, [answers, outcome] { complete(*answers, outcome); });
  });
}

void log_wait_batch::complete(batch& b, const status& outcome) {
  // A waiter answering may start its next request and add() to the next batch: b is ours alone.
  for (auto& w : b) {
    try {
      w->on_log_done(outcome);
    } catch (const std::exception& e) {
      // Out of memory while answering: that connection closes, the others still get theirs.
      spdlog::error("answering a write after its log wait failed: {}", e.what());
    }
  }
  b.clear();
}

void log_wait_batch::shutdown() { waiting_.clear(); }

}  // namespace livekv::net
