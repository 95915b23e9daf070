#pragma once
// A plain loopback TCP connection for what a well-behaved client never sends: garbage instead of
// HTTP, half a request head, pipelined requests in one write, a body that outgrows its limit.
// Every read and write is bounded by a deadline.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/http_response.hpp"

namespace livekv::test {

// Generous for sanitizer builds; only a server that misbehaves ever waits it out.
inline constexpr std::chrono::milliseconds default_raw_timeout{10'000};

// Not thread-safe; one owner. Bytes read but not yet consumed stay buffered between calls, so
// responses that arrive in one segment are still read one at a time.
class raw_socket {
 public:
  // Connects to 127.0.0.1:port; check connected() (and error()) before use.
  explicit raw_socket(std::uint16_t port);
  ~raw_socket();
  raw_socket(const raw_socket&) = delete;
  raw_socket& operator=(const raw_socket&) = delete;

  bool connected() const noexcept { return fd_ >= 0; }
  // The last failure, for assertion messages.
  const std::string& error() const noexcept { return error_; }

  // Writes all of `bytes`. False (see error()) if the peer reset the connection or the deadline passed.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = default_raw_timeout);
  // Half-closes: the server reads end-of-stream after what was sent.
  void shutdown_write() noexcept;

  // Reads one complete HTTP response, interim 1xx responses included (each is its own response).
  // `head` reads a response to HEAD (no body). Status 0 with `error` on timeout, reset or EOF.
  http_response read_response(std::chrono::milliseconds timeout = default_raw_timeout, bool head = false);

  // Reads until `delimiter` has arrived and returns everything up to and including it; nullopt when
  // the connection ends or the deadline passes first.
  std::optional<std::string> read_until(std::string_view delimiter,
                                        std::chrono::milliseconds timeout = default_raw_timeout);

  // Reads exactly `n` bytes (after any already buffered); nullopt when the connection ends or the
  // deadline passes first.
  std::optional<std::string> read_exactly(std::size_t n, std::chrono::milliseconds timeout = default_raw_timeout);

  struct close_result {
    bool closed = false;  // the server closed (FIN or RST) before the deadline
    bool reset = false;   // ... with a reset
    std::string data;     // everything received before that (including earlier buffered bytes)
  };
  // Reads until the server closes the connection or the deadline passes.
  close_result read_until_close(std::chrono::milliseconds timeout = default_raw_timeout);

 private:
  enum class read_outcome { data, eof, reset, timeout };
  read_outcome read_some(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;  // received, not yet consumed
  std::string error_;
};

}  // namespace livekv::test
