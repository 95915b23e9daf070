#include "livekv/feed/sse_session.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <type_traits>
#include <variant>

#include "livekv/http/http_date.hpp"
#include "livekv/version.hpp"

namespace livekv::feed {

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {
// A client has no business sending anything after its request; a little (a stray pipelined
// request) is ignored, a lot closes the stream.
constexpr std::size_t max_ignored_bytes = 64 * 1024;
}  // namespace

void start_sse_session(http::taken_stream&& stream, const feed_env& env, subscription sub, std::string request_id,
                       std::string extra_head) {
  std::visit(
      [&](auto& s) {
        using stream_type = std::remove_cvref_t<decltype(s)>;
        std::make_shared<sse_session<stream_type>>(std::move(s), env, std::move(sub), std::move(request_id),
                                                   std::move(extra_head))
            ->start();
      },
      stream.stream);
}

template <class Stream>
sse_session<Stream>::sse_session(Stream&& stream, const feed_env& env, subscription sub, std::string request_id,
                                 std::string extra_head)
    : feed_session(env, std::move(sub), stream.get_executor()), stream_(std::move(stream)),
      request_id_(std::move(request_id)), extra_head_(std::move(extra_head)) {}

template <class Stream>
void sse_session<Stream>::start() {
  // The HTTP session's deadline is gone; a plaintext tcp_stream's own timer must not fire either.
  if constexpr (!http::is_tls_v<Stream>) stream_.expires_never();
  out_ = "HTTP/1.1 200 OK\r\n"
         "Content-Type: text/event-stream; charset=utf-8\r\n"
         "Cache-Control: no-cache\r\n"
         "Connection: close\r\n"
         "X-Accel-Buffering: no\r\n"  // nginx and friends: do not buffer the stream
         "X-Content-Type-Options: nosniff\r\n"
         "Server: livekv/" + std::string(livekv::version) + "\r\n"
         "Date: " + std::string(http::current_http_date()) + "\r\n"
         "KV-Revision: " + std::to_string(env().hub.head()) + "\r\n"
         "X-Request-Id: " + request_id_ + "\r\n" + extra_head_ +
         "\r\n"
         // How long a browser's EventSource waits before reconnecting (with Last-Event-ID).
         "retry: 2000\n\n";
  asio::async_write(stream_, asio::buffer(out_), [s = self()](beast::error_code ec, std::size_t) {
    if (ec) return s->ended();
    s->read_next();
    s->begin();
  });
}

template <class Stream>
void sse_session<Stream>::read_next() {
  stream_.async_read_some(asio::buffer(in_), [s = self()](beast::error_code ec, std::size_t n) {
    s->ignored_ += n;
    if (ec || s->ignored_ > max_ignored_bytes) {
      s->ended();
      return s->abort();
    }
    s->read_next();
  });
}

template <class Stream>
void sse_session<Stream>::write(const std::vector<message>& batch) {
  out_.clear();
  for (const auto& m : batch) {
    // An idle bookmark doubles as the heartbeat comment that keeps proxies from timing out.
    if (m.name == "progress") out_ += ": heartbeat\n";
    if (m.id) {
      out_ += "id: ";
      out_ += std::to_string(*m.id);
      out_ += '\n';
    }
    out_ += "event: ";
    out_ += m.name;
    out_ += "\ndata: ";
    out_ += m.text();  // JSON text never holds a raw newline, so one data line carries it
    out_ += "\n\n";
  }
  asio::async_write(stream_, asio::buffer(out_),
                    [s = self()](beast::error_code ec, std::size_t n) { s->written(ec, n); });
}

template <class Stream>
void sse_session<Stream>::finish(std::string_view, end_kind) {
  // The overflow event (when there was one) is already written; closing ends the response.
  beast::error_code ignored;
  http::lowest_socket(stream_).shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  ended();
  http::lowest_socket(stream_).close(ignored);
}

template <class Stream>
void sse_session<Stream>::abort() {
  beast::error_code ignored;
  http::lowest_socket(stream_).close(ignored);
}

template class sse_session<beast::tcp_stream>;
template class sse_session<http::tls_stream>;

}  // namespace livekv::feed
