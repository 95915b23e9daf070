#include "livekv/net/connection_limits.hpp"

namespace livekv::net {

std::shared_ptr<connection_limits> connection_limits::make(std::size_t max_total, std::size_t max_per_ip) {
  return std::shared_ptr<connection_limits>(new connection_limits(max_total, max_per_ip));
}

connection_limits::admission connection_limits::admit(const boost::asio::ip::address& ip) {
  const std::size_t before = total_.fetch_add(1, std::memory_order_relaxed);
  if (max_total_ != 0 && before >= max_total_) {
    total_.fetch_sub(1, std::memory_order_relaxed);
    return {nullptr, refusal::total};
  }
  // An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d: count it as a.b.c.d.
  const auto key = ip.is_v6() && ip.to_v6().is_v4_mapped()
                       ? boost::asio::ip::address(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6()))
                       : ip;
  if (max_per_ip_ != 0) {
    util::lock_guard lock(mutex_);
    auto& n = per_ip_[key];
    if (n >= max_per_ip_) {
      if (n == 0) per_ip_.erase(key);
      total_.fetch_sub(1, std::memory_order_relaxed);
      return {nullptr, refusal::per_ip};
    }
    ++n;
  }
  // The slot's deleter gives it back; it holds the table, which may outlive the server's own
  // reference (a session still closing).
  return {slot(static_cast<const void*>(this), [self = shared_from_this(), key](const void*) { self->release(key); }),
          refusal::none};
}

void connection_limits::release(const boost::asio::ip::address& ip) {
  if (max_per_ip_ != 0) {
    util::lock_guard lock(mutex_);
    if (auto it = per_ip_.find(ip); it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
  }
  total_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace livekv::net
