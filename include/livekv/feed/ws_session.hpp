#pragma once
// GET /wal: the WebSocket transport of the live feed. One text frame per message; a client's text
// message {"op":"ping"} is answered with {"op":"pong","rev":R}; WebSocket pings keep idle
// connections honest (a peer that stops answering is closed after --idle-timeout).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "livekv/feed/corked_stream.hpp"
#include "livekv/feed/feed_session.hpp"
#include "livekv/http/taken_stream.hpp"
#include "livekv/http/types.hpp"

namespace livekv::feed {

// Takes over a connection whose upgrade request the router accepted (plaintext or TLS, see
// http/taken_stream.hpp), answers the upgrade (101) and starts streaming. On the connection's thread.
void start_ws_session(http::taken_stream&& stream, const feed_env& env, subscription sub, http::request&& req);

// Stream: boost::beast::tcp_stream or http::tls_stream; both are instantiated in ws_session.cpp.
template <class Stream>
class ws_session final : public feed_session {
 public:
  ws_session(Stream&& stream, const feed_env& env, subscription sub);
  // Answers the upgrade (101) and starts streaming.
  void start(http::request&& req);

 private:
  void on_accept(boost::beast::error_code ec);
  void read_next();
  void on_message(boost::beast::error_code ec, std::size_t n);
  void write(const std::vector<message>& batch) override;
  void write_frame();
  void finish(std::string_view reason, end_kind kind) override;
  void abort() override;
  std::shared_ptr<ws_session> self() { return std::static_pointer_cast<ws_session>(shared_from_this()); }

  boost::beast::websocket::stream<corked_stream<Stream>> ws_;
  boost::beast::flat_buffer in_;
  http::request req_;                          // kept until the handshake is answered
  const std::vector<message>* batch_ = nullptr;  // being written
  std::size_t next_ = 0;
};

}  // namespace livekv::feed
