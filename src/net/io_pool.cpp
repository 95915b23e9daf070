#include "livekv/net/io_pool.hpp"

namespace livekv::net {

io_pool::io_pool(std::size_t threads) {
  const std::size_t n = threads == 0 ? 1 : threads;
  contexts_.reserve(n);
  guards_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Concurrency hint 1: one thread runs each context (others only post to it).
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.push_back(boost::asio::make_work_guard(*contexts_.back()));
  }
}

boost::asio::io_context& io_pool::next() noexcept {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void io_pool::run(std::size_t i) { contexts_[i]->run(); }

void io_pool::stop() {
  for (auto& c : contexts_) c->stop();
}

}  // namespace livekv::net
