#include "livekv/net/listener.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

namespace livekv::net {

namespace asio = boost::asio;

namespace {
constexpr int max_accept_burst = 256;
}  // namespace

listener::listener(io_pool& pool, session_env& env, const tls_context* tls)
    : pool_(pool), acceptor_(pool.main()), backoff_(pool.main()), env_(env), tls_(tls) {}

status listener::open(const asio::ip::tcp::endpoint& ep) {
  boost::beast::error_code ec;
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  // on_accept takes the rest of a burst synchronously: an empty queue must say so, not block.
  if (!ec) acceptor_.non_blocking(true, ec);
  if (ec) {
    return {errc::internal, "cannot listen on " + ep.address().to_string() + ":" + std::to_string(ep.port()) +
                                ": " + ec.message()};
  }
  return status::success();
}

asio::ip::tcp::endpoint listener::local_endpoint() const {
  boost::beast::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void listener::start() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::beast::error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
  });
}

void listener::accept() {
  acceptor_.async_accept(pool_.next().get_executor(),
                         boost::beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

void listener::on_accept(boost::beast::error_code ec, http::tcp_socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // EMFILE and friends: usually transient. Back off briefly instead of spinning on the error.
    spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([self = shared_from_this()](boost::beast::error_code wait_ec) {
      if (!wait_ec && self->acceptor_.is_open()) self->accept();
    });
    return;
  }
  start_session(std::move(socket));
  // Connections come in bursts (a client pool starting, a balancer failing over). One accept per
  // trip through the event loop made the last of 1,000 wait behind a request of every one before
  // it: wrk's first run at c1000 saw a p99 of 215 ms, against 15 ms once connected. Take what
  // is queued now, boundedly, so that accepting cannot starve the connections already served.
  for (int i = 0; i < max_accept_burst; ++i) {
    boost::beast::error_code more_ec;
    auto more = acceptor_.accept(pool_.next().get_executor(), more_ec);
    if (more_ec) break;  // would_block: the queue is empty; anything else: the async accept reports it
    start_session(std::move(more));
  }
  accept();
}

void listener::start_session(http::tcp_socket&& socket) {
  if (!tls_) return std::make_shared<plain_http_session>(std::move(socket), env_)->start();
  // The connection's OpenSSL object keeps its context alive; a reload meanwhile changes nothing for it.
  const auto ctx = tls_->current();
  std::make_shared<tls_http_session>(http::tls_stream(std::move(socket), *ctx), env_)->start();
}

}  // namespace livekv::net
