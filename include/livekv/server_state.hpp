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
  // Refused before their route: by a connection cap, by the rate limit, without a known token
  // (401) or without the right (403, a role or a key outside the token's prefixes).
  std::atomic<std::uint64_t> connections_refused_total{0};
  std::atomic<std::uint64_t> connections_refused_per_ip{0};
  std::atomic<std::uint64_t> rate_limited_total{0};
  std::atomic<std::uint64_t> unauthorized_total{0};
  std::atomic<std::uint64_t> forbidden_total{0};
};

}  // namespace livekv
