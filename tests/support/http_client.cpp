#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/http/parser.hpp>

namespace livekv::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// Values in tests are far below this; the bound only keeps a confused server from eating memory.
constexpr std::uint64_t max_response_body = 64 * 1024 * 1024;

// Deliberately not the server's percent_encode_path: a test that encoded with the code under test
// could not catch a bug in it.
std::string escape(std::string_view s, bool keep_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                            u == '-' || u == '.' || u == '_' || u == '~' || (keep_slash && u == '/');
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

}  // namespace

std::string kv_path(std::string_view key) { return "/v1/kv/" + escape(key, true); }
std::string query_escape(std::string_view s) { return escape(s, false); }

http_client::http_client(std::uint16_t port, std::chrono::milliseconds timeout)
    : stream_(ioc_), port_(port), timeout_(timeout) {}

http_client::~http_client() { close(); }

// Starts one asynchronous operation and runs the io_context until it completes. The stream's
// expiry cancels the operation at the deadline, which a synchronous call would not honour.
template <typename Start>
beast::error_code http_client::run(Start&& start) {
  beast::error_code result = asio::error::would_block;
  stream_.expires_after(timeout_);
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc_.restart();
  ioc_.run();
  return result;
}

bool http_client::connect(std::string& error) {
  const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port_);
  const auto ec = run([&](auto handler) { stream_.async_connect(ep, std::move(handler)); });
  if (ec) {
    error = "connect to 127.0.0.1:" + std::to_string(port_) + ": " + ec.message();
    close();
    return false;
  }
  beast::error_code ignored;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  connected_ = true;
  ++connections_opened_;
  buffer_.clear();
  return true;
}

void http_client::close() noexcept {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  connected_ = false;
}

http_response http_client::request(verb method, std::string_view target, std::string body,
                                   const header_list& headers) {
  std::string error;
  if (!connected_ && !connect(error)) return transport_error(error);

  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port_));
  req.set(bhttp::field::user_agent, "livekv-integration-tests");
  req.body() = std::move(body);
  if (!req.body().empty() || method == verb::put || method == verb::post) req.prepare_payload();
  for (const auto& [name, value] : headers) req.set(name, value);

  auto ec = run([&](auto handler) { bhttp::async_write(stream_, req, std::move(handler)); });
  if (ec) {
    close();
    return transport_error("writing " + std::string(target) + ": " + ec.message());
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_response_body);
  // A HEAD response announces the GET's Content-Length but carries no body.
  if (method == verb::head) parser.skip(true);
  ec = run([&](auto handler) { bhttp::async_read(stream_, buffer_, parser, std::move(handler)); });
  if (ec) {
    close();
    return transport_error("reading the response to " + std::string(target) + ": " + ec.message());
  }
  http_response res = to_http_response(parser.release());
  if (!res.keep_alive) close();
  return res;
}

}  // namespace livekv::test
