// Expiry lag: how late keys with a TTL disappear, with 1 M keys holding TTLs.
//
// Loads N keys (default 1,000,000; key:%08d, 100-byte values) whose deadlines are spread evenly
// over a window (default 10 s) starting a little after the load ends, runs the real expiry sweeper,
// and records for every key how long after its deadline the sweeper removed it. Meanwhile a writer
// thread keeps committing ordinary puts, so expiry competes with write traffic as in production.
//
//   build/release/bench_expiry_lag [keys] [window_seconds]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "livekv/store/expiry_sweeper.hpp"
#include "livekv/store/kv_store.hpp"

using namespace livekv::store;

int main(int argc, char** argv) {
  const std::size_t keys = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const double window_s = argc > 2 ? std::atof(argv[2]) : 10.0;
  kv_store store;
  const std::string value(100, 'v');

  const auto load_start = std::chrono::steady_clock::now();
  // Deadlines start 2 s after loading begins plus the expected load time, so none is due mid-load.
  const std::int64_t first_deadline_offset_ms = 2000 + static_cast<std::int64_t>(keys / 500);
  const std::int64_t t0 = store.time_source().now_ms();
  for (std::size_t i = 0; i < keys; ++i) {
    char k[32];
    std::snprintf(k, sizeof k, "key:%08zu", i);
    const std::int64_t deadline =
        t0 + first_deadline_offset_ms + static_cast<std::int64_t>(window_s * 1000.0 * static_cast<double>(i) / static_cast<double>(keys));
    commit_request r;
    r.ops.push_back({operation::kind::put, k, make_value(value), deadline - store.time_source().now_ms(), 0});
    if (r.ops[0].ttl_ms <= 0) r.ops[0].ttl_ms = 1;
    (void)store.commit(r);
  }
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();

  std::vector<std::int64_t> lags;
  lags.reserve(keys);
  std::mutex lags_mutex;  // the sweeper thread writes, main reads after stop
  expiry_sweeper::options opts;
  opts.on_expired = [&](std::int64_t lag) {
    std::lock_guard lock(lags_mutex);
    lags.push_back(lag);
  };
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> writes{0};
  std::thread writer([&] {
    for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      commit_request r;
      r.ops.push_back({operation::kind::put, "w:" + std::to_string(i % 10000), make_value(value), 0, 0});
      (void)store.commit(r);
      writes.fetch_add(1, std::memory_order_relaxed);
    }
  });
  {
    expiry_sweeper sweeper(store, opts);
    // Bounded: wait for the window to pass plus a generous margin.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(first_deadline_offset_ms) +
                         std::chrono::duration<double>(window_s + 30.0);
    while (std::chrono::steady_clock::now() < give_up) {
      {
        std::lock_guard lock(lags_mutex);
        if (lags.size() >= keys) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop = true;
  }
  writer.join();

  std::sort(lags.begin(), lags.end());
  const auto pct = [&](double p) {
    return lags.empty() ? -1 : lags[std::min(lags.size() - 1, static_cast<std::size_t>(p * static_cast<double>(lags.size())))];
  };
  std::printf("keys=%zu expired=%zu load=%.2fs window=%.1fs concurrent_writes=%llu\n", keys, lags.size(), load_s, window_s,
              static_cast<unsigned long long>(writes.load()));
  std::printf("expiry lag ms: p50=%lld p99=%lld p99.9=%lld max=%lld\n", static_cast<long long>(pct(0.50)),
              static_cast<long long>(pct(0.99)), static_cast<long long>(pct(0.999)),
              static_cast<long long>(lags.empty() ? -1 : lags.back()));
  return lags.size() == keys ? 0 : 1;
}
