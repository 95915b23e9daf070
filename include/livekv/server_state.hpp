#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

namespace livekv {

// Process-wide facts that the network layer writes and the admin handlers read. Owned by the
// server; every member is atomic so any thread may read it at any time.
struct server_state {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<bool> ready{false};     // recovery done, serving
  std::atomic<bool> draining{false};  // shutdown begun: no new work
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> requests_total{0};
};

}  // namespace livekv
