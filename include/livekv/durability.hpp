#pragma once
// The durability of a write, as the layers that acknowledge writes see it: a ticket that a write
// hands up, and the log it waits on behind a one-method interface.
//
// Why a vocabulary of its own: the write's answer is given by the connection (net/), the write is
// made by the store (store/) and made durable by the log (wal/). The session must learn when the
// write is durable without knowing either: the handler hands it the ticket the store returned,
// and the ticket knows whom to ask.
#include <cstdint>
#include <functional>

#include "livekv/status.hpp"

namespace livekv {

// Something that makes writes durable in the order of their tickets (the write-ahead log).
class durability {
 public:
  // Calls `done` (from any thread, exactly once) when the write with `ticket` is as durable as
  // the fsync policy promises, or with an error if the log failed first. A ticket covers every
  // smaller one: waiting for the newest of several waits for them all.
  virtual void when_durable(std::uint64_t ticket, std::function<void(status)> done) = 0;

 protected:
  ~durability() = default;
};

// What a write hands whoever acknowledges it: the log to wait on and the write's place in it.
// Empty (the default) when there is nothing to wait for: no log, or a commit that wrote nothing.
// A value type holding a plain pointer: the log must outlive every ticket of it, whether or not
// it is still attached to the store (the server destroys the log after the io threads, which hold
// the tickets, have stopped; a closed log answers every ticket it ever gave at once).
class durable_ticket {
 public:
  durable_ticket() = default;
  durable_ticket(durability& log, std::uint64_t number) noexcept : log_(number ? &log : nullptr), number_(number) {}

  explicit operator bool() const noexcept { return log_ != nullptr; }
  std::uint64_t number() const noexcept { return number_; }
  durability* log() const noexcept { return log_; }

  // Calls `done` once the write is durable (see durability::when_durable); at once with ok when
  // the ticket is empty.
  void when_durable(std::function<void(status)> done) const {
    if (!log_) return done(status{});
    log_->when_durable(number_, std::move(done));
  }

 private:
  durability* log_ = nullptr;
  std::uint64_t number_ = 0;
};

}  // namespace livekv
