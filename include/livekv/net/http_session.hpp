#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "livekv/config.hpp"
#include "livekv/http/http_metrics.hpp"
#include "livekv/http/router.hpp"
#include "livekv/http/types.hpp"
#include "livekv/net/connection_registry.hpp"
#include "livekv/server_state.hpp"
#include "livekv/store/kv_store.hpp"

namespace spdlog { class logger; }

namespace livekv::net {

// What every session needs from the server; all references outlive every session.
struct session_env {
  const config& cfg;
  const http::router& routes;
  const store::kv_store& store;
  server_state& state;
  connection_registry& registry;
  spdlog::logger* access_log;  // null when the access log is off
  http::http_metrics* metrics;  // null in tests that need none
};

// One HTTP/1.1 connection. Requests are served one at a time in arrival order (pipelined requests
// wait in the read buffer, which bounds them). Every operation runs on the socket's strand.
// Lifetime: owned by the pending asynchronous operation's handler (shared_from_this).
class http_session : public connection_registry::member, public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket&& socket, session_env& env);
  ~http_session() override;
  void start();
  void drain() override;

 private:
  using parser_type = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void wait_for_request();
  void on_first_bytes(boost::beast::error_code ec, std::size_t n);
  void read_header();
  void on_header(boost::beast::error_code ec, std::size_t n);
  void on_continue_sent(boost::beast::error_code ec, std::size_t n);
  void read_body();
  void on_body(boost::beast::error_code ec, std::size_t n);
  void serve();
  void resume(std::optional<http::response> replacement, bool keep_alive);  // a deferred answer is ready
  void reject(errc code, std::string detail);  // answers with a problem and closes
  void send(http::response&& res, bool keep_alive);
  void on_write(boost::beast::error_code ec, std::size_t n);
  void close();
  void discard_input();
  void log_access(std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  session_env& env_;
  std::string client_;
  std::optional<parser_type> parser_;
  std::optional<http::response> res_;  // the response being written
  http::router::match match_;          // the route of the current request
  std::shared_ptr<void> continue_;     // the 100 Continue interim response being written
  std::chrono::steady_clock::time_point request_started_;
  std::string req_target_;         // for the access log
  std::string request_id_;
  boost::beast::http::verb req_method_ = boost::beast::http::verb::unknown;
  std::uint64_t bytes_in_ = 0;
  bool idle_ = false;      // waiting for the first byte of a request
  bool draining_ = false;  // finish the current request, then close
  bool closing_ = false;   // close after the current write
  bool linger_ = false;    // drain unread input before closing (after a rejected request)
  std::size_t discarded_ = 0;
};

}  // namespace livekv::net
