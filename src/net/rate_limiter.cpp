#include "livekv/net/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace livekv::net {

namespace {
// Beyond this many clients with partly drained buckets, the fullest are forgotten (they are the
// least limited, so forgetting them costs the least accuracy).
constexpr std::size_t max_clients = 100'000;

std::uint64_t burst_for(double rate, std::size_t burst) {
  if (burst > 0) return burst;
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(rate)));
}
}  // namespace

rate_limiter::rate_limiter(double rate, std::size_t burst)
    : rate_(rate),
      burst_(burst_for(rate, burst)),
      // draft-ietf-httpapi-ratelimit-headers: a quota of `burst` requests per the window it takes
      // to refill that many.
      policy_("\"client\";q=" + std::to_string(burst_) + ";w=" +
              std::to_string(std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(double(burst_) / rate))))) {}

rate_limiter::decision rate_limiter::take(std::string_view client, clock::time_point now) {
  util::lock_guard lock(mutex_);
  auto it = buckets_.find(std::string(client));
  if (it == buckets_.end()) {
    if (buckets_.size() >= evict_at_) evict(now);
    it = buckets_.emplace(std::string(client), bucket{double(burst_), now}).first;
  }
  bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.at).count();
  b.level = std::min(double(burst_), b.level + std::max(0.0, elapsed) * rate_);
  b.at = now;
  decision d;
  if (b.level >= 1.0) {
    b.level -= 1.0;
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after_s = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil((1.0 - b.level) / rate_)));
  }
  d.remaining = static_cast<std::uint64_t>(b.level);
  d.reset_s = static_cast<std::uint64_t>(std::ceil((double(burst_) - b.level) / rate_));
  return d;
}

void rate_limiter::evict(clock::time_point now) {
  // Forget the buckets that have refilled: a new one starts full, so nothing changes for them.
  std::erase_if(buckets_, [&](const auto& kv) {
    const double elapsed = std::chrono::duration<double>(now - kv.second.at).count();
    return kv.second.level + elapsed * rate_ >= double(burst_);
  });
  if (buckets_.size() >= max_clients) {
    std::vector<std::pair<double, std::string>> by_level;
    by_level.reserve(buckets_.size());
    for (const auto& [k, b] : buckets_)
      by_level.emplace_back(b.level + std::chrono::duration<double>(now - b.at).count() * rate_, k);
    const auto drop = buckets_.size() - max_clients / 2;
    std::nth_element(by_level.begin(), by_level.begin() + static_cast<std::ptrdiff_t>(drop), by_level.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t i = 0; i < drop; ++i) buckets_.erase(by_level[i].second);
  }
  // Sweep again when the table has doubled: amortized O(1) per new client.
  evict_at_ = std::max<std::size_t>(1024, buckets_.size() * 2);
}

std::size_t rate_limiter::clients() const {
  util::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace livekv::net
