#pragma once
// The answers of one io thread's event-loop turn that wait for the write-ahead log, made durable
// together once the turn's ready connections have all been served.
//
// Why: under --fsync everysec a write is acknowledged once its record is written to the log file.
// Waiting for it per request cost one write(2) of ~150 bytes and three trips through the log's
// mutex for each PUT (~7 % of a PUT's CPU at c64). Here a turn's PUTs queue their answers; one
// handler posted behind them asks the log once for the newest ticket, which writes every record
// of the turn with one write(2), and then sends the answers from this thread without a post each.
// Under --fsync always that one wait is what starts the log thread (wal/log_writer), so one
// fdatasync covers the whole turn, and the answers come back with one post instead of one each.
//
// One per io_context, as an Asio service: a connection finds its thread's batch by its executor.
// Thread safety: add() only on the thread that runs the context (net/io_pool: one per context).
// The log may complete the batch on another thread (its own, or another io thread that wrote our
// records with its own): the answers are then posted back here. The log must therefore complete
// its waiters before the io_context goes away: server::run closes the storage after joining the
// io threads and before the pool is destroyed.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "livekv/durability.hpp"
#include "livekv/status.hpp"

namespace livekv::net {

class log_wait_batch final : public boost::asio::execution_context::service {
 public:
  // Told once, on the batch's thread, that its write is durable (ok) or that the log failed. The
  // batch keeps the waiter alive until then. Should on_log_done throw, the waiter is dropped (its
  // connection closes) and the rest of the batch is still answered.
  class waiter {
   public:
    virtual void on_log_done(const status& outcome) = 0;

   protected:
    ~waiter() = default;
  };

  static boost::asio::execution_context::id id;
  explicit log_wait_batch(boost::asio::io_context& ctx);

  // Answers `w` once `ticket` (non-empty) is durable, after the current handler and the others
  // already queued on this thread have run. Every ticket of one context must come from the same
  // log. Throws std::bad_alloc, having added nothing.
  void add(const durable_ticket& ticket, std::shared_ptr<waiter> w);

 private:
  using batch = std::vector<std::shared_ptr<waiter>>;
  void shutdown() override;  // drops waiting answers (their connections close with the context)
  void flush();
  static void complete(batch& b, const status& outcome);

  boost::asio::io_context& ctx_;
  batch waiting_;
  durable_ticket newest_;  // the newest ticket waited for: it covers the older ones
  bool posted_ = false;       // a flush() is queued
};

}  // namespace livekv::net
