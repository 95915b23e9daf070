#pragma once
// What WebSocket and SSE subscribers share: a position in the revision sequence, a filter, and the
// pump that turns hub events into messages, one batch in flight at a time. The transports
// (ws_session, sse_session) only frame and write what the pump hands them.
//
// The backlog of a subscriber is the hub ring between its position and the head, so its bound
// (--feed-queue-messages, --feed-queue-bytes) is checked without a queue per subscriber: once a
// subscriber has caught up with the head, falling that far behind again gets it an overflow event
// and a close. A subscriber still replaying a resume is exempt: it reads history at its own pace.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "livekv/auth/gate.hpp"
#include "livekv/feed/feed_counters.hpp"
#include "livekv/hub/broadcast_hub.hpp"
#include "livekv/hub/filter.hpp"
#include "livekv/net/connection_registry.hpp"
#include "livekv/server_state.hpp"

namespace livekv::feed {

// The limits and timeouts a feed session applies (the server derives them from its config).
struct feed_settings {
  std::chrono::milliseconds idle_timeout{60'000};  // WebSocket: no frame from the client this long
  std::size_t queue_messages = 10'000;             // a subscriber's backlog before it is cut off
  std::size_t queue_bytes = 16 * 1024 * 1024;
  std::chrono::milliseconds progress{10'000};      // bookmark interval on an idle subscription
};

// What every feed session needs from the server; all of it outlives the sessions.
struct feed_env {
  hub::broadcast_hub& hub;
  // The auth file in force (disabled without --auth-file): a stream asks it again after a reload.
  const auth::gate& gate;
  server_state& state;
  net::connection_registry& registry;
  feed_counters& counters;
  feed_settings settings;
};

// What a client asked for.
struct subscription {
  hub::filter filter;
  std::optional<std::uint64_t> since;  // resume: deliver writes with revision > since
  bool with_prev = false;
  // With --auth-file: who opened the stream and the role it needs (read; admin for read events).
  // After a reload that removed the token or its role, or changed its prefixes, the stream ends.
  auth::principal_ptr who;
  auth::role needs = auth::role::read;
  std::shared_ptr<const void> connection_slot;  // held while the stream is open (connection caps)
};

// How a stream ends: the WebSocket close code it gets (SSE simply closes).
enum class end_kind : std::uint8_t {
  error,         // overflow, compaction, a refused subscription: 1013 try again later
  going_away,    // the server drains: 1001
  unauthorized,  // the token was removed from the auth file: 4401
  forbidden,     // the token lost the role or its prefixes changed: 4403
};

// One message to send: an event's shared JSON, or text of its own (control messages, filtered
// batches).
struct message {
  std::string_view name;      // the event name ("put", "progress", ...)
  std::optional<std::uint64_t> id;  // the revision it stands for (events, progress); none for reads, pong, overflow
  hub::event_ptr ev;          // keeps `shared` alive
  const std::string* shared = nullptr;
  std::string own;
  std::string_view text() const noexcept { return shared ? std::string_view(*shared) : std::string_view(own); }
};

class feed_session : public hub::subscriber,
                     public net::connection_registry::member,
                     public std::enable_shared_from_this<feed_session> {
 public:
  ~feed_session() override;

  // hub::subscriber — any thread; they only post to the session's thread.
  void wake() noexcept override;
  void tick(std::chrono::steady_clock::time_point now, std::uint64_t head) noexcept override;
  void on_read(const hub::event_ptr& ev) noexcept override;
  // net::connection_registry::member: close with "going away" after the message in flight.
  void drain() override;

 protected:
  feed_session(const feed_env& env, subscription sub, boost::asio::any_io_executor executor);

  // --- for the transports, on the session's thread ---
  // Registers with the hub and starts pumping; the first message is a progress bookmark. Call once
  // the transport is ready to write (handshake done).
  void begin();
  // The transport finished writing the batch handed to write().
  void written(boost::beast::error_code ec, std::size_t bytes);
  // The transport is gone (peer closed, error): stop everything.
  void ended();
  // Queue a control message (pong, error) and send it soon.
  void send_control(std::string_view name, std::string json);
  bool is_ended() const noexcept { return phase_ == phase::ended; }
  const feed_env& env() const noexcept { return env_; }

  // --- what a transport provides, called on the session's thread ---
  // Write the whole batch, then call written(). Exactly one write at a time.
  virtual void write(const std::vector<message>& batch) = 0;
  // Finish the stream after the last write: close frame / connection close with `reason`.
  virtual void finish(std::string_view reason, end_kind kind) = 0;
  // Tear the connection down now (a write that does not complete).
  virtual void abort() = 0;

 private:
  void pump();
  void fill();
  void cut_off(std::string reason, bool compacted);
  void check_lag();
  // After a reload of the auth file: ends the stream if its token may no longer hold it.
  void check_standing();
  void progress();
  void arm_kill_timer();
  bool lagging(std::uint64_t head, std::uint64_t position) const;
  std::shared_ptr<feed_session> self() { return shared_from_this(); }

  // Where the session is; changed only on its thread:
  //   starting   the transport's handshake is under way (nothing is pumped yet)
  //   ready      pumping: a batch is built whenever there is something to send, else the
  //              session is armed with the hub and sleeps
  //   writing    one batch is being written (never two at once)
  //   finishing  the transport is closing the stream (finish() was called)
  //   ended      the transport is gone: nothing more happens but teardown
  // starting → ready ⇄ writing; ready → finishing (once the end is decided and the last message
  // is written) → ended. ended can follow any phase (an error, the kill timer of a write that does
  // not complete).
  enum class phase : std::uint8_t { starting, ready, writing, finishing, ended };

  const feed_env env_;  // references, copied: the handler that made the session is gone
  const subscription sub_;
  // The connection's thread: its io_context runs on one thread (net/io_pool), so posting here
  // serializes every handler of the session without a strand.
  boost::asio::any_io_executor executor_;
  boost::asio::steady_timer kill_timer_;

  // On the session's thread only.
  std::uint64_t id_ = 0;            // in the hub; 0 = not registered
  std::uint64_t after_ = 0;         // every write event <= after_ was sent or filtered out
  hub::history_cursor history_;     // where a resume reads the history older than the hub's ring
  std::deque<message> control_;     // pong, error, progress, overflow: sent before events
  std::deque<hub::event_ptr> reads_;  // read events waiting
  std::vector<message> batch_;      // being written
  std::vector<bool> keep_;          // scratch for filter::judge
  phase phase_ = phase::starting;
  // How the session will end, once that is decided: finish after the message in flight, with
  // this reason, as "going away" (a drain) or as an error; a subscriber cut off first gets
  // {"op":"overflow"} with its resume point.
  std::string finish_reason_;       // set: the end is decided
  end_kind end_kind_ = end_kind::error;
  bool overflow_pending_ = false;   // send {"op":"overflow"} next, then finish

  // Read by the hub's thread in tick().
  std::atomic<std::uint64_t> position_{0};
  std::atomic<bool> caught_up_{false};
  std::atomic<std::int64_t> last_sent_ns_{0};  // steady clock, of the last write started
  std::atomic<bool> tick_posted_{false};
  std::atomic<bool> cut_{false};
  std::atomic<std::uint64_t> auth_generation_{0};  // of the gate when the token was last checked
};

}  // namespace livekv::feed
