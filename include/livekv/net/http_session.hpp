#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "livekv/http/response_head.hpp"
#include "livekv/http/router.hpp"
#include "livekv/http/taken_stream.hpp"
#include "livekv/http/types.hpp"
#include "livekv/net/connection_registry.hpp"
#include "livekv/net/deadline.hpp"
#include "livekv/net/log_wait_batch.hpp"
#include "livekv/net/session_env.hpp"

namespace livekv::net {

// One HTTP/1.1 connection. Requests are served one at a time in arrival order (pipelined requests
// wait in the read buffer, which bounds them). Every operation runs on the one thread of the
// socket's io_context (net/io_pool); other threads reach the session only by posting to it.
// Lifetime: owned by the pending asynchronous operation's handler (shared_from_this).
//
// The hot path is kept to the system calls a request needs: bytes already read are parsed at once
// (no asynchronous hop when the request is complete in the buffer), the answer is written with one
// non-blocking sendmsg of head and body (an asynchronous write only if the socket is full), and the
// timeouts live in one lazily re-armed timer (net/deadline).
//
// Stream is the connection: plaintext (http::tcp_socket, written as above) or TLS
// (http::tls_stream: the handshake first, under the request timeout; answers written with an
// asynchronous write, since OpenSSL must not write synchronously on a non-blocking socket; a
// close_notify before closing). Both are instantiated in http_session.cpp; the plaintext one
// compiles to exactly the code it was before TLS existed.
template <class Stream>
class http_session : public connection_registry::member,
                     public log_wait_batch::waiter,
                     public std::enable_shared_from_this<http_session<Stream>> {
 public:
  // The io_context's executor as the socket's concrete executor type: no type-erased executor
  // copies per operation, and no strand (the context has one thread).
  using executor_type = boost::asio::io_context::executor_type;
  using socket_type = http::tcp_socket;
  static constexpr bool tls = http::is_tls_v<Stream>;

  // `stream`: a socket just accepted (for TLS, wrapped in a stream with the current context).
  // `slot`: the connection's place under --max-connections(-per-ip) (null without them); a stream
  // the connection becomes keeps it.
  http_session(Stream&& stream, session_env& env, std::shared_ptr<const void> slot = nullptr);
  ~http_session() override;
  void start();
  void drain() override;

 private:
  using parser_type = boost::beast::http::request_parser<boost::beast::http::string_body>;
  using handler_fn = void (http_session::*)(boost::beast::error_code, std::size_t);

  socket_type& socket() noexcept { return http::lowest_socket(stream_); }
  void handshake();  // TLS: before the first request
  void on_handshake(boost::beast::error_code ec);
  void wait_for_request();
  void on_first_bytes(boost::beast::error_code ec, std::size_t n);
  void start_request();
  void parse_head();
  void on_head_bytes(boost::beast::error_code ec, std::size_t n);
  void on_header();
  void on_continue_sent(boost::beast::error_code ec, std::size_t n);
  void parse_body();
  void on_body_bytes(boost::beast::error_code ec, std::size_t n);
  // Reads more of the current request: the request timeout starts with its first wait.
  void read_more(std::size_t max_bytes, handler_fn next);
  void serve();
  // serve()'s three ways besides answering at once: the connection becomes a stream, the answer
  // waits for the log, or the handler answers later.
  void hand_over(http::request_context& ctx, http::response&& res);
  void await_log(const durable_ticket& ticket, http::response&& res, bool keep_alive);
  void await_answer(http::request_context& ctx, http::response&& res, bool keep_alive);
  void resume(std::optional<http::response> replacement, bool keep_alive);  // a deferred answer is ready
  void on_log_done(const status& outcome) override;  // the answer's log write is durable (or failed)
  void reject(errc code, std::string detail);  // answers with a problem and closes
  void count_refusal(http::status_code code);  // a refusal of the guard, for /metrics
  void reject_trailers();  // 431: header and trailer fields over --max-header-bytes
  void send(http::response&& res, bool keep_alive);
  void on_write(boost::beast::error_code ec, std::size_t n);
  void written(std::size_t n);
  void on_timeout();
  void close();
  void discard_input();
  void log_access(std::size_t bytes);

  // Where the connection is; one at a time, changed only on its thread:
  //   waiting    before the first request (TLS: its handshake) and between requests: reading for a first byte under the idle timeout (a drain
  //              closes the connection at once)
  //   reading    a request's head and body (timed_: its request timeout runs)
  //   serving    inside the handler
  //   deferring  inside the handler's defer() call: an answer given now, on this thread, is kept
  //              in early_ and sent once defer() returns (no trip through the event loop)
  //   awaiting   the answer waits: for its handler (deferred) or for the log
  //   writing    the answer is being written
  //   closed     shut down (perhaps lingering to read what the client still sends)
  // waiting → reading → serving [→ deferring] [→ awaiting] → writing → waiting | closed. A request
  // refused before its handler (bad head, no route, over a limit) goes from reading to writing; a
  // handler that takes the connection over (WebSocket, SSE) goes from serving to closed; any error
  // to closed.
  enum class phase : std::uint8_t { waiting, reading, serving, deferring, awaiting, writing, closed };
  // What follows the answer being written: the next request, a close, or (after a request whose
  // rest is unread) a close that first reads and drops what the client still sends, so that the
  // kernel does not reset the connection and destroy the answer before the client reads it.
  enum class after_answer : std::uint8_t { next_request, close, linger_and_close };
  // An answer given during defer() (see phase::deferring): nullopt sends the kept response.
  struct early_answer {
    std::optional<http::response> replacement;
  };

  Stream stream_;
  // The connection's thread, kept apart from stream_: drain() posts to it from any thread, while
  // hand_over() may be moving stream_ away on this one.
  const executor_type executor_;
  deadline deadline_;
  log_wait_batch& log_wait_;  // this thread's answers waiting for the log
  boost::beast::flat_buffer buffer_;
  session_env& env_;
  std::string client_;     // "ip:port" of the peer
  std::string client_ip_;  // its address alone: the rate limit's client without a token
  std::shared_ptr<const void> slot_;
  request_guard::pass pass_;  // what the guard learnt about the current request
  std::optional<parser_type> parser_;
  std::optional<http::response> res_;  // the response being written
  http::response_head head_;           // its serialized head (reused, so it stops allocating)
  http::router::match match_;          // the route of the current request
  std::chrono::steady_clock::time_point request_started_;
  std::string req_target_;         // for the access log
  std::string request_id_;
  boost::beast::http::verb req_method_ = boost::beast::http::verb::unknown;
  std::uint64_t bytes_in_ = 0;
  std::size_t head_bytes_ = 0;  // of the current request's head (request line and header fields)
  std::size_t write_total_ = 0;  // bytes of the response being written
  std::optional<early_answer> early_;
  bool durable_keep_alive_ = false;  // of the request whose answer waits for the log
  phase phase_ = phase::waiting;
  after_answer then_ = after_answer::next_request;
  bool timed_ = false;     // reading: the current request's timeout is running
  bool draining_ = false;  // the server drains: finish the current request, then close (any phase)
  bool secured_ = false;   // TLS: the handshake is done (close_notify makes sense from here on)
  std::string tls_out_;    // TLS: the answer's head and body in one buffer, so one TLS record
  std::size_t discarded_ = 0;
};

using plain_http_session = http_session<http::tcp_socket>;
using tls_http_session = http_session<http::tls_stream>;

}  // namespace livekv::net
