#include "livekv/hub/key_waiters.hpp"

#include <iterator>

namespace livekv::hub {

bool key_waiters::add(std::string key, std::uint64_t after, std::chrono::steady_clock::time_point deadline,
                      done_fn& done) {
  util::lock_guard lock(mutex_);
  if (stopped_) return false;
  waiting_.emplace(std::move(key), waiter{after, deadline, std::move(done)});
  count_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool key_waiters::fire(const event& ev) {
  if (count_.load(std::memory_order_relaxed) == 0) return false;
  bool fired = false;
  util::lock_guard lock(mutex_);
  for (const auto& op : ev.ops) {
    auto [it, end] = waiting_.equal_range(op.key);
    while (it != end) {
      if (it->second.after < ev.rev) {
        fired_.push_back(std::move(it->second.done));
        it = waiting_.erase(it);
        count_.fetch_sub(1, std::memory_order_relaxed);
        fired = true;
      } else {
        ++it;
      }
    }
  }
  return fired;
}

void key_waiters::take_fired(std::vector<done_fn>& out) {
  util::lock_guard lock(mutex_);
  out.insert(out.end(), std::make_move_iterator(fired_.begin()), std::make_move_iterator(fired_.end()));
  fired_.clear();
}

void key_waiters::take_expired(std::chrono::steady_clock::time_point now, std::vector<done_fn>& out) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  util::lock_guard lock(mutex_);
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second.deadline <= now) {
      out.push_back(std::move(it->second.done));
      it = waiting_.erase(it);
      count_.fetch_sub(1, std::memory_order_relaxed);
    } else {
      ++it;
    }
  }
}

void key_waiters::stop(std::vector<done_fn>& changed, std::vector<done_fn>& rest) {
  util::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto& [key, w] : waiting_) rest.push_back(std::move(w.done));
  waiting_.clear();
  changed.swap(fired_);
  count_.store(0, std::memory_order_relaxed);
}

}  // namespace livekv::hub
