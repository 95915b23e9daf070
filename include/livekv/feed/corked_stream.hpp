#pragma once
// The stream under a feed WebSocket: the connection's stream (a beast::tcp_stream, or the TLS
// stream over its socket) that can hold writes back. While corked,
// every write (Beast's frames for our messages, and any ping or pong Beast sends meanwhile) is
// appended to a buffer and completes at once; flush() then writes what was held with one system
// call, and keeps holding writes until the buffer is drained, so no two writes ever overlap on the
// socket. Over TLS the frames are held before encryption, so a batch also becomes few TLS records. This turns a batch of N messages into one sendmsg instead of N: bench/feed_fanout.sh
// measured one sendmsg per message at 63 % of the server's CPU with 1,000 subscribers.
//
// It also corrects one frame of Beast's, see replace_echoed_close_code().
// Not thread-safe: used on its session's thread only.
#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace livekv::feed {

// NextLayer: boost::beast::tcp_stream or http::tls_stream (see http/taken_stream.hpp).
template <class NextLayer>
class corked_stream {
 public:
  using executor_type = typename NextLayer::executor_type;
  using next_layer_type = NextLayer;

  explicit corked_stream(NextLayer&& s) : next_(std::move(s)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    if (replacement_code_ != 0 && is_echoed_close(buffers)) {
      close_frame_[2] = static_cast<unsigned char>(replacement_code_ >> 8);
      close_frame_[3] = static_cast<unsigned char>(replacement_code_ & 0xff);
      replacement_code_ = 0;
      // All four bytes or an error, never part of them: Beast must not send the rest of its own.
      if (!corked_)
        return boost::asio::async_write(next_, boost::asio::buffer(close_frame_), std::forward<WriteHandler>(handler));
      return hold(boost::asio::buffer(close_frame_), std::forward<WriteHandler>(handler));
    }
    if (!corked_) return next_.async_write_some(buffers, std::forward<WriteHandler>(handler));
    return hold(buffers, std::forward<WriteHandler>(handler));
  }

  // Beast answers a peer's close frame by echoing its status code (RFC 6455 §5.5.1). It refuses the
  // codes §7.4 reserves and answers those with 1002 itself, but 1.81 lets codes from 5000 up through
  // (is_valid_close_code) and would echo them, though no such code is valid on the wire. Called when
  // such a close frame has been read: the next close frame Beast writes, which is that echo (four
  // bytes, a server's frame carries no mask and the echo no reason), goes out with `code` instead.
  void replace_echoed_close_code(std::uint16_t code) noexcept { replacement_code_ = code; }

  // From now on writes are held back until flush() has written them.
  void cork() noexcept { corked_ = true; }

  // Writes everything held (and whatever is added meanwhile), then stops holding writes back and
  // calls `done(ec, bytes)`.
  void flush(std::function<void(boost::beast::error_code, std::size_t)> done) {
    done_ = std::move(done);
    flushed_ = 0;
    write_held();
  }

 private:
  template <class ConstBufferSequence, class WriteHandler>
  auto hold(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    const std::size_t n = boost::asio::buffer_size(buffers);
    const std::size_t at = held_.size();
    held_.resize(at + n);
    boost::asio::buffer_copy(boost::asio::buffer(held_.data() + at, n), buffers);
    return boost::asio::async_initiate<WriteHandler, void(boost::beast::error_code, std::size_t)>(
        [this, n](auto h) {
          // Completes later, never inside the call: callers rely on that.
          boost::asio::post(get_executor(), boost::beast::bind_front_handler(std::move(h), boost::beast::error_code{}, n));
        },
        handler);
  }

  // A close frame with a status code and no reason, as a server sends it: FIN + opcode 8, length 2.
  template <class ConstBufferSequence>
  bool is_echoed_close(const ConstBufferSequence& buffers) noexcept {
    if (boost::asio::buffer_size(buffers) != close_frame_.size()) return false;
    boost::asio::buffer_copy(boost::asio::buffer(close_frame_), buffers);
    return close_frame_[0] == 0x88 && close_frame_[1] == 0x02;
  }

  void write_held() {
    if (held_.empty()) {
      corked_ = false;
      auto done = std::move(done_);
      return done({}, flushed_);
    }
    writing_.swap(held_);
    held_.clear();
    boost::asio::async_write(next_, boost::asio::buffer(writing_), [this](boost::beast::error_code ec, std::size_t n) {
      flushed_ += n;
      writing_.clear();
      if (ec) {
        corked_ = false;
        held_.clear();
        auto done = std::move(done_);
        return done(ec, flushed_);
      }
      write_held();
    });
  }

  NextLayer next_;
  bool corked_ = false;
  std::string held_;     // written while corked, not yet on the socket
  std::string writing_;  // on its way to the socket
  std::size_t flushed_ = 0;
  std::uint16_t replacement_code_ = 0;       // see replace_echoed_close_code(); 0: none
  std::array<unsigned char, 4> close_frame_{};  // the replaced close frame, until it is written
  std::function<void(boost::beast::error_code, std::size_t)> done_;
};

// Beast's websocket close tears down the stream under it: forward to the next layer's teardown
// (over TLS: close_notify, then the socket's).
template <class NextLayer>
void teardown(boost::beast::role_type role, corked_stream<NextLayer>& s, boost::beast::error_code& ec) {
  using boost::beast::teardown;
  using boost::beast::websocket::teardown;
  teardown(role, s.next_layer(), ec);
}

template <class NextLayer, class TeardownHandler>
void async_teardown(boost::beast::role_type role, corked_stream<NextLayer>& s, TeardownHandler&& handler) {
  using boost::beast::async_teardown;
  using boost::beast::websocket::async_teardown;
  async_teardown(role, s.next_layer(), std::forward<TeardownHandler>(handler));
}

}  // namespace livekv::feed
