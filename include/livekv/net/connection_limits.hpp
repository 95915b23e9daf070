#pragma once
// --max-connections and --max-connections-per-ip. A connection holds a slot from its accept until
// its last owner lets go: the HTTP session, then the feed session that takes the socket over (the
// slot travels with it), so a stream counts as long as it is open.
#include <boost/asio/ip/address.hpp>
#include <atomic>
#include <cstddef>
#include <memory>
#include <unordered_map>

#include "livekv/util/mutex.hpp"
#include "livekv/util/thread_annotations.hpp"

namespace livekv::net {

class connection_limits : public std::enable_shared_from_this<connection_limits> {
 public:
  // 0: no cap. Shared ownership: a slot outlives nothing it needs.
  static std::shared_ptr<connection_limits> make(std::size_t max_total, std::size_t max_per_ip);

  // A slot, held while the connection is open; released when the last copy goes.
  using slot = std::shared_ptr<const void>;
  enum class refusal : unsigned char { none, total, per_ip };
  struct admission {
    slot held;  // null when refused
    refusal why = refusal::none;
  };
  // Takes a slot for a connection from `ip`, or refuses it. Thread-safe.
  admission admit(const boost::asio::ip::address& ip);

  std::size_t open() const noexcept { return total_.load(std::memory_order_relaxed); }
  std::size_t max_total() const noexcept { return max_total_; }
  std::size_t max_per_ip() const noexcept { return max_per_ip_; }

 private:
  connection_limits(std::size_t max_total, std::size_t max_per_ip) : max_total_(max_total), max_per_ip_(max_per_ip) {}
  void release(const boost::asio::ip::address& ip);

  const std::size_t max_total_;
  const std::size_t max_per_ip_;
  std::atomic<std::size_t> total_{0};
  util::mutex mutex_;  // guards per_ip_
  std::unordered_map<boost::asio::ip::address, std::size_t> per_ip_ LIVEKV_GUARDED_BY(mutex_);
};

}  // namespace livekv::net
