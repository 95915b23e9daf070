#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "livekv/net/http_session.hpp"
#include "livekv/status.hpp"

namespace livekv::net {

// Accepts connections and starts an http_session for each, every socket on a strand of its own.
// Lifetime: shared_ptr, kept alive by its pending accept; stop() ends accepting.
class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(boost::asio::io_context& ioc, session_env& env);

  // Binds and listens. Errors: errc::internal with the system's reason (address in use, ...).
  status open(const boost::asio::ip::tcp::endpoint& ep);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  void stop();  // thread-safe

 private:
  void accept();
  void on_accept(boost::beast::error_code ec, http_session::socket_type socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;  // used only on its strand
  boost::asio::steady_timer backoff_;         // same strand: the pause after a failed accept
  session_env& env_;
};

}  // namespace livekv::net
