#include "livekv/net/deadline.hpp"

namespace livekv::net {

void deadline::bind(std::weak_ptr<void> owner, std::function<void()> on_expire) {
  owner_ = std::move(owner);
  on_expire_ = std::move(on_expire);
}

void deadline::set(clock::duration after) {
  at_ = clock::now() + after;
  active_ = true;
  // An armed timer that fires no later than the new deadline checks it then; only an earlier
  // deadline needs the kernel timer moved now.
  if (!armed_ || timer_.expiry() > at_) arm(at_);
}

void deadline::cancel() {
  active_ = false;
  armed_ = false;
  ++generation_;
  timer_.cancel();
}

void deadline::arm(clock::time_point at) {
  armed_ = true;
  timer_.expires_at(at);  // cancels a pending wait, whose handler then sees a stale generation
  timer_.async_wait([this, owner = owner_, generation = ++generation_](const boost::system::error_code& ec) {
    // `this` lives inside the owner: touch it only while the owner does.
    if (const auto alive = owner.lock()) on_timer(generation, ec);
  });
}

void deadline::on_timer(std::uint64_t generation, const boost::system::error_code& ec) {
  if (generation != generation_) return;  // superseded by a later arm() or cancel()
  armed_ = false;
  if (ec || !active_) return;
  if (clock::now() < at_) return arm(at_);  // moved later since this wait began
  active_ = false;
  if (on_expire_) on_expire_();
}

}  // namespace livekv::net
