#pragma once
// Per-client rate limits (--rate-limit, --rate-burst): a token bucket per client, where a client
// is its token's name when the server has an auth file, else its IP address. A bucket holds up to
// `burst` requests and refills at `rate` per second; a request takes one or is refused with the
// time until one is there. Buckets that have refilled completely carry no information and are
// dropped when the table grows, so its memory is bounded by the clients active in the last
// burst/rate seconds (and a hard cap beyond which the fullest are dropped first).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "livekv/util/mutex.hpp"
#include "livekv/util/thread_annotations.hpp"

namespace livekv::net {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  // `rate`: requests per second (> 0); `burst`: the bucket's size (0: max(1, rate)).
  rate_limiter(double rate, std::size_t burst);

  struct decision {
    bool allowed = true;
    std::uint64_t remaining = 0;  // whole requests left in the bucket after this one
    std::uint64_t retry_after_s = 0;  // refused: seconds until one request is allowed (at least 1)
    std::uint64_t reset_s = 0;  // seconds until the bucket is full again
  };
  // Takes one request from `client`'s bucket. Thread-safe.
  decision take(std::string_view client, clock::time_point now = clock::now());

  double rate() const noexcept { return rate_; }
  std::uint64_t burst() const noexcept { return burst_; }
  // The RateLimit-Policy header's value for this limit.
  const std::string& policy() const noexcept { return policy_; }
  std::size_t clients() const;

 private:
  struct bucket {
    double level;  // requests available
    clock::time_point at;  // when level was computed
  };
  void evict(clock::time_point now) LIVEKV_REQUIRES(mutex_);

  const double rate_;
  const std::uint64_t burst_;
  const std::string policy_;
  mutable util::mutex mutex_;  // guards buckets_
  std::unordered_map<std::string, bucket> buckets_ LIVEKV_GUARDED_BY(mutex_);
  std::size_t evict_at_ LIVEKV_GUARDED_BY(mutex_) = 1024;  // table size that triggers a sweep
};

}  // namespace livekv::net
