#include "support/raw_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cerrno>
#include <cstring>

namespace livekv::test {

namespace bhttp = boost::beast::http;
using clock = std::chrono::steady_clock;

namespace {

int millis_until(clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

raw_socket::raw_socket(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = errno_text("socket");
    return;
  }
  // Each send() leaves at once, so "half a request head" really arrives as half.
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A blocking connect is bounded in practice on loopback: it is accepted or refused at once.
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = errno_text("connect");
    ::close(fd_);
    fd_ = -1;
  }
}

raw_socket::~raw_socket() {
  if (fd_ >= 0) ::close(fd_);
}

bool raw_socket::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  if (fd_ < 0) return false;
  const auto deadline = clock::now() + timeout;
  while (!bytes.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    const int ready = ::poll(&p, 1, millis_until(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      error_ = "send: timed out with " + std::to_string(bytes.size()) + " bytes unsent";
      return false;
    }
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      error_ = errno_text("send");
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void raw_socket::shutdown_write() noexcept {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

raw_socket::read_outcome raw_socket::read_some(clock::time_point deadline) {
  if (fd_ < 0) return read_outcome::eof;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, millis_until(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) return read_outcome::timeout;
    char buf[16 * 1024];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
      return read_outcome::data;
    }
    if (n == 0) return read_outcome::eof;
    if (errno == EINTR || errno == EAGAIN) continue;
    error_ = errno_text("recv");
    return read_outcome::reset;
  }
}

http_response raw_socket::read_response(std::chrono::milliseconds timeout, bool head) {
  const auto deadline = clock::now() + timeout;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  parser.body_limit(64 * 1024 * 1024);
  if (head) parser.skip(true);
  for (;;) {
    if (!buffer_.empty()) {
      boost::beast::error_code ec;
      const std::size_t used = parser.put(boost::asio::buffer(buffer_.data(), buffer_.size()), ec);
      buffer_.erase(0, used);
      if (ec && ec != bhttp::error::need_more) return transport_error("unparsable response: " + ec.message());
      if (parser.is_done()) return to_http_response(parser.release());
      if (!ec && used > 0) continue;  // the header is done; the body may already be buffered
    }
    switch (read_some(deadline)) {
      case read_outcome::data:
        break;
      case read_outcome::eof: {
        // A response without a length ends at the close; anything else is cut short.
        boost::beast::error_code ec;
        if (parser.is_header_done()) parser.put_eof(ec);
        if (!ec && parser.is_done()) return to_http_response(parser.release());
        return transport_error("the connection closed before a complete response (" +
                               std::to_string(buffer_.size()) + " unparsed bytes)");
      }
      case read_outcome::reset:
        return transport_error("the connection was reset: " + error_);
      case read_outcome::timeout:
        return transport_error("no complete response within " + std::to_string(timeout.count()) + " ms");
    }
  }
}

std::optional<std::string> raw_socket::read_until(std::string_view delimiter, std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  for (;;) {
    if (const auto at = buffer_.find(delimiter); at != std::string::npos) {
      std::string out = buffer_.substr(0, at + delimiter.size());
      buffer_.erase(0, at + delimiter.size());
      return out;
    }
    if (read_some(deadline) != read_outcome::data) return std::nullopt;
  }
}

std::optional<std::string> raw_socket::read_exactly(std::size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  while (buffer_.size() < n)
    if (read_some(deadline) != read_outcome::data) return std::nullopt;
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

raw_socket::close_result raw_socket::read_until_close(std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  close_result r;
  for (;;) {
    const auto outcome = read_some(deadline);
    if (outcome == read_outcome::data) continue;
    r.closed = outcome == read_outcome::eof || outcome == read_outcome::reset;
    r.reset = outcome == read_outcome::reset;
    r.data = std::move(buffer_);
    buffer_.clear();
    return r;
  }
}

}  // namespace livekv::test
