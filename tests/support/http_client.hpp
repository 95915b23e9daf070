#pragma once
// A synchronous HTTP/1.1 client over one keep-alive loopback connection, built on Beast. Every
// network step runs under a deadline (tcp_stream::expires_after), so a server that hangs fails the
// test with a message instead of hanging it.
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/http_response.hpp"

namespace livekv::test {

using verb = boost::beast::http::verb;
using header_list = std::vector<std::pair<std::string, std::string>>;

// Long enough for a sanitizer build under load; only a hung server ever waits it out.
inline constexpr std::chrono::milliseconds default_io_timeout{10'000};

// Not thread-safe: one client per thread (each owns its io_context and connection).
class http_client {
 public:
  explicit http_client(std::uint16_t port, std::chrono::milliseconds timeout = default_io_timeout);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Sends one request and reads its response on the current connection, connecting first when
  // there is none (at the start, after the server answered `Connection: close`, after an error).
  // PUT and POST always carry a Content-Length; `headers` are set last, so they override the
  // defaults (Host, User-Agent, Content-Length). Transport failures return status 0 with `error`
  // set and drop the connection. HEAD responses are read without a body, as the protocol says.
  http_response request(verb method, std::string_view target, std::string body = {},
                        const header_list& headers = {});

  http_response get(std::string_view target, const header_list& headers = {}) {
    return request(verb::get, target, {}, headers);
  }
  http_response head(std::string_view target, const header_list& headers = {}) {
    return request(verb::head, target, {}, headers);
  }
  http_response put(std::string_view target, std::string body, const header_list& headers = {}) {
    return request(verb::put, target, std::move(body), headers);
  }
  http_response del(std::string_view target, const header_list& headers = {}) {
    return request(verb::delete_, target, {}, headers);
  }

  bool connected() const noexcept { return connected_; }
  // TCP connections opened so far: 1 after many requests proves they shared one connection.
  std::size_t connections_opened() const noexcept { return connections_opened_; }
  void close() noexcept;

 private:
  bool connect(std::string& error);
  template <typename Start>
  boost::beast::error_code run(Start&& start);

  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  bool connected_ = false;
  std::size_t connections_opened_ = 0;
};

// "/v1/kv/" + the key with every byte outside RFC 3986 unreserved characters and '/'
// percent-encoded: the encoding the API documents for clients.
std::string kv_path(std::string_view key);
// Percent-encodes a query parameter value (everything but unreserved characters).
std::string query_escape(std::string_view s);

}  // namespace livekv::test
