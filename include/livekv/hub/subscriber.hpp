#pragma once
// The hub's view of one feed subscriber (a WebSocket or SSE session). The hub holds it by weak
// pointer and calls it from its own thread, never under a store lock; implementations only read
// their atomics and post to their session's thread, so the hub is never slowed by a subscriber.
#include <chrono>
#include <cstdint>

#include "livekv/hub/event.hpp"

namespace livekv::hub {

class subscriber {
 public:
  virtual ~subscriber() = default;
  // Events after the position the subscriber armed with (broadcast_hub::arm) now exist.
  virtual void wake() noexcept = 0;
  // Called every hub tick: time for progress bookmarks and lag checks. `head` is the newest
  // published revision.
  virtual void tick(std::chrono::steady_clock::time_point now, std::uint64_t head) noexcept = 0;
  // A read event (get, list), for subscribers that asked for reads. Called on the reader's thread.
  virtual void on_read(const event_ptr& ev) noexcept = 0;
};

}  // namespace livekv::hub
