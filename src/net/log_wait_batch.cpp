#include "livekv/net/log_wait_batch.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace livekv::net {

namespace asio = boost::asio;

asio::execution_context::id log_wait_batch::id;

log_wait_batch::log_wait_batch(asio::io_context& ctx) : asio::execution_context::service(ctx), ctx_(ctx) {}

void log_wait_batch::add(const store::kv_store& store, std::uint64_t ticket, std::shared_ptr<waiter> w) {
  store_ = &store;
  waiting_.push_back(std::move(w));
  ticket_ = std::max(ticket_, ticket);
  if (posted_) return;
  // Posted from a handler, flush() runs after the handlers of this turn's ready connections (and
  // one non-blocking look for more events): by then the turn's records are all in the log.
  posted_ = true;
  asio::post(ctx_, [this] { flush(); });
}

void log_wait_batch::flush() {
  posted_ = false;
  auto answers = std::make_shared<batch>();
  answers->swap(waiting_);
  waiting_.reserve(answers->size());  // the next turn is likely as busy as this one
  // One waiter for the newest ticket covers the older ones: the log writes in ticket order.
  store_->when_durable(std::exchange(ticket_, 0), [this, answers](status outcome) {
    // Usually inline, on this thread (everysec: we wrote the records ourselves).
    if (ctx_.get_executor().running_in_this_thread()) return complete(*answers, outcome);
    asio::post(ctx_, [answers, outcome] { complete(*answers, outcome); });
  });
}

void log_wait_batch::complete(batch& b, const status& outcome) {
  // A waiter answering may start its next request and add() to the next batch: b is ours alone.
  for (auto& w : b) w->on_log_done(outcome);
  b.clear();
}

void log_wait_batch::shutdown() { waiting_.clear(); }

}  // namespace livekv::net
