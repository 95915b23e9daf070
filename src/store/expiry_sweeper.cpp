#include "livekv/store/expiry_sweeper.hpp"

#include <algorithm>

namespace livekv::store {

expiry_sweeper::expiry_sweeper(kv_store& store, options opts) : store_(store), opts_(opts) {
  thread_ = std::thread([this] { run(); });
}

expiry_sweeper::~expiry_sweeper() { stop(); }

void expiry_sweeper::stop() {
  {
    util::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void expiry_sweeper::run() {
  util::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    const expiry_pass pass = store_.expire_due(opts_.batch, opts_.on_expired);
    lock.lock();
    if (pass.expired == opts_.batch) continue;  // more are due: go on, after letting writers in
    auto wait = opts_.tick;
    if (pass.next_deadline_ms && !pass.stalled) {  // stalled: the due key waits a tick, no spinning
      const auto until_next = std::chrono::milliseconds(*pass.next_deadline_ms - store_.time_source().now_ms());
      wait = std::clamp(until_next, std::chrono::milliseconds(0), opts_.tick);
    }
    if (wait.count() > 0) wake_.wait_for(mutex_, wait, [this]() LIVEKV_REQUIRES(mutex_) { return stopping_; });
  }
}

}  // namespace livekv::store
