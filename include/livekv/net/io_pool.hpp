#pragma once
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <memory>
#include <vector>

namespace livekv::net {

// The io threads: one io_context per thread, each connection on one of them for its whole life.
//
// Why not one io_context run by N threads: its threads hand work to each other through one
// scheduler queue and wake each other for it, so a second thread bought context switches instead of
// throughput (GET at c64, 2 threads on 2 cores: 0.96x one thread, with 15 % of the CPU in
// finish_task_switch). With a context per thread, a connection's handlers never leave its thread,
// which also serializes them without a strand, as nginx's workers do.
//
// Thread safety: contexts are created up front and never change; next() may be called from any
// thread; run(i) by exactly one thread per i; stop() from any thread.
class io_pool {
 public:
  explicit io_pool(std::size_t threads);
  io_pool(const io_pool&) = delete;
  io_pool& operator=(const io_pool&) = delete;

  std::size_t size() const noexcept { return contexts_.size(); }
  // Context 0 also runs the server's own work (signals, the listener, the drain timer).
  boost::asio::io_context& main() noexcept { return *contexts_[0]; }
  boost::asio::io_context& at(std::size_t i) noexcept { return *contexts_[i]; }
  // Round-robin: the context of the next accepted connection.
  boost::asio::io_context& next() noexcept;
  // Runs context `i` until stop(); call on the thread that owns it.
  void run(std::size_t i);
  // Makes every run() return soon; pending handlers stay until the pool is destroyed.
  void stop();

 private:
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<guard> guards_;  // keeps a context without connections running until stop()
  std::atomic<std::size_t> next_{0};
};

}  // namespace livekv::net
