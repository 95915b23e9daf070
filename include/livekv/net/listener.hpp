#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "livekv/net/connection_limits.hpp"
#include "livekv/net/http_session.hpp"
#include "livekv/net/io_pool.hpp"
#include "livekv/net/tls_context.hpp"
#include "livekv/status.hpp"

namespace livekv::net {

// Accepts connections (on the pool's main context) and starts an http_session for each, handing
// the connections to the pool's contexts in turn. With a TLS context every connection on the port
// is TLS (HTTPS and WSS); each starts with the context current when it is accepted.
// Lifetime: shared_ptr, kept alive by its pending accept; stop() ends accepting.
class listener : public std::enable_shared_from_this<listener> {
 public:
  // `tls`: null for plaintext; else it outlives the listener and every session. `limits`:
  // --max-connections(-per-ip), null without them.
  listener(io_pool& pool, session_env& env, const tls_context* tls = nullptr,
           std::shared_ptr<connection_limits> limits = nullptr);

  // Binds and listens. Errors: errc::internal with the system's reason (address in use, ...).
  status open(const boost::asio::ip::tcp::endpoint& ep);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  void stop();  // thread-safe

 private:
  void accept();
  void on_accept(boost::beast::error_code ec, http::tcp_socket socket);
  // Starts a session for `socket`, or answers 503 and closes it when it is over a cap.
  void serve(http::tcp_socket socket);
  void start_session(http::tcp_socket&& socket, std::shared_ptr<const void> slot);

  io_pool& pool_;
  boost::asio::ip::tcp::acceptor acceptor_;  // used only on the main context's thread
  boost::asio::steady_timer backoff_;         // same thread: the pause after a failed accept
  session_env& env_;
  const tls_context* tls_;
  std::shared_ptr<connection_limits> limits_;
};

}  // namespace livekv::net
