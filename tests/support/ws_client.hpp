#pragma once
// A synchronous WebSocket client for the live feed (GET /wal), built on Beast. Every step (connect,
// upgrade, read, write, close) runs under a deadline, so a server that stays silent fails the test
// with a message instead of hanging it. A refused upgrade is returned as the HTTP response it is
// (status and problem+json body), so 400/410/426 answers can be checked like any other.
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "support/http_client.hpp"
#include "support/http_response.hpp"

namespace livekv::test {

struct ws_options {
  // Bound on connect + upgrade, on each send and on close.
  std::chrono::milliseconds timeout = default_io_timeout;
  // When > 0, SO_RCVBUF is set to this before connecting (so the TCP window is small from the
  // start): a client that then never reads makes the server's send side back up quickly.
  int receive_buffer_bytes = 0;
  // Extra header fields on the upgrade request.
  header_list headers;
  // Set: wss://, TLS to a server whose certificate this CA file (PEM) signed, checked for the
  // name 127.0.0.1. With tls_cert and tls_key also set, the client presents that certificate
  // (mutual TLS).
  std::optional<std::string> tls_ca;
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;

  // Defaults with extra header fields (designated initializers would have to name every field).
  static ws_options with_headers(header_list h) {
    ws_options o;
    o.headers = std::move(h);
    return o;
  }
};

// Not thread-safe: one owner thread (it owns its io_context and connection). After any failure
// (timeout, reset, close) the connection is gone: every later read or send fails at once.
class ws_client {
 public:
  explicit ws_client(std::uint16_t port, ws_options options = {});
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  // Connects to 127.0.0.1:port (with options.tls_ca: and makes the TLS handshake) and asks to
  // upgrade `target` (e.g. "/wal?prefix=a&since=3").
  // Returns the server's answer to the upgrade request: status 101 when the connection is now a
  // WebSocket (is_open()), otherwise the refusal with its headers and body, or status 0 with
  // `error` when no answer arrived. Precondition: not connected yet.
  http_response connect(std::string_view target);

  bool is_open() const noexcept { return open_; }

  // Reads the next message and parses it as JSON (a discarded value when it is not JSON; a binary
  // frame is recorded as an error). nullopt when the server closed the connection (see
  // closed_by_server(), close_code()), when `timeout` passed first (timed_out()), or on another
  // failure (error()).
  std::optional<nlohmann::json> read_event(std::chrono::milliseconds timeout = default_io_timeout);

  // Calls `f` for every WebSocket ping the server sends. Pings are seen (and answered with a pong,
  // as RFC 6455 requires) only while a read_event() or close() is in progress; `f` runs inside it,
  // on the owner's thread.
  void on_ping(std::function<void()> f) { on_ping_ = std::move(f); }
  // Pings received so far.
  std::size_t pings() const noexcept { return pings_; }

  // Sends one text message. False (see error()) when the connection is not usable.
  bool send_text(std::string_view text);

  // Sends a normal close and waits (bounded) for the server's close; the connection is closed
  // afterwards whatever happened. Harmless when not open.
  void close() noexcept;

  // Why the last read returned nullopt.
  bool closed_by_server() const noexcept { return closed_by_server_; }
  bool timed_out() const noexcept { return timed_out_; }
  // The close frame the server sent (code 0 when it sent none, e.g. the socket just ended).
  std::uint16_t close_code() const noexcept { return close_code_; }
  const std::string& close_reason() const noexcept { return close_reason_; }
  // The last failure in words, for assertion messages.
  const std::string& error() const noexcept { return error_; }

 private:
  using plain_ws = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  using tls_ws = boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

  template <typename Start>
  boost::beast::error_code run(std::chrono::milliseconds timeout, Start&& start);
  // Calls f(ws) with the WebSocket stream, plain or TLS.
  template <typename F>
  decltype(auto) with_ws(F&& f) {
    return std::visit(std::forward<F>(f), ws_);
  }
  boost::asio::ip::tcp::socket& socket();
  void drop() noexcept;

  boost::asio::io_context ioc_;
  ws_options options_;
  boost::asio::ssl::context tls_ctx_;  // used with options_.tls_ca
  std::variant<plain_ws, tls_ws> ws_;
  boost::beast::flat_buffer buffer_;
  std::uint16_t port_;
  bool open_ = false;
  bool closed_by_server_ = false;
  bool timed_out_ = false;
  std::uint16_t close_code_ = 0;
  std::string close_reason_;
  std::string error_;
  std::function<void()> on_ping_;
  std::size_t pings_ = 0;
};

}  // namespace livekv::test
