#include "livekv/net/connection_registry.hpp"

#include <vector>

namespace livekv::net {

void connection_registry::add(const std::shared_ptr<member>& m) {
  util::lock_guard lock(mutex_);
  members_.emplace(m.get(), m);
}

void connection_registry::remove(const member* m) {
  util::lock_guard lock(mutex_);
  members_.erase(m);
}

void connection_registry::drain_all() {
  std::vector<std::shared_ptr<member>> live;
  {
    util::lock_guard lock(mutex_);
    for (auto& [raw, weak] : members_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  // Outside the lock: drain() posts work, and the last reference may be dropped right here, whose
  // destructor calls remove() and would deadlock under the lock.
  for (auto& s : live) s->drain();
}

std::size_t connection_registry::size() const {
  util::lock_guard lock(mutex_);
  return members_.size();
}

}  // namespace livekv::net
