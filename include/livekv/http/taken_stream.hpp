#pragma once
// The connection a handler takes over (request_context::take_over): plaintext or TLS. The
// transports that take it (feed/) are templates over the two stream types, chosen once per
// connection by std::visit, so neither path pays for the other.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <type_traits>
#include <variant>

namespace livekv::http {

// A served connection's socket, bound to its io_context's executor (no type-erased executor).
using tcp_socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
// A TLS connection: OpenSSL over that socket, its handshake done by the HTTP session.
using tls_stream = boost::asio::ssl::stream<tcp_socket>;

// A plaintext connection is handed over as Beast's tcp_stream (as it always was); a TLS one as
// the session's TLS stream itself, which cannot change type without losing its OpenSSL state.
struct taken_stream {
  std::variant<boost::beast::tcp_stream, tls_stream> stream;
};

// True for the TLS stream (and for stream layers over it).
template <class Stream>
inline constexpr bool is_tls_v =
    std::is_same_v<std::remove_cvref_t<boost::beast::lowest_layer_type<Stream>>, tcp_socket> &&
    !std::is_same_v<std::remove_cvref_t<Stream>, tcp_socket>;

// The TCP socket at the bottom of `s` (a tcp_stream's, or the TLS stream's), to close or shut it.
template <class Stream>
auto& lowest_socket(Stream& s) noexcept {
  auto& lowest = boost::beast::get_lowest_layer(s);
  if constexpr (requires { lowest.socket(); })
    return lowest.socket();
  else
    return lowest;
}

}  // namespace livekv::http
