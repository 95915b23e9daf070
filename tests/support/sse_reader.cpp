#include "support/sse_reader.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <charconv>

namespace livekv::test {

namespace {

std::chrono::milliseconds left_until(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Parses "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n" into status, reason and headers.
bool parse_head(std::string_view head, http_response& out) {
  auto next_line = [&head]() {
    const auto at = head.find("\r\n");
    std::string_view line = head.substr(0, at);
    head.remove_prefix(at == std::string_view::npos ? head.size() : at + 2);
    return line;
  };
  const std::string_view status_line = next_line();
  if (!status_line.starts_with("HTTP/1.")) return false;
  const auto sp = status_line.find(' ');
  if (sp == std::string_view::npos || status_line.size() < sp + 4) return false;
  const auto code = status_line.substr(sp + 1, 3);
  if (std::from_chars(code.data(), code.data() + code.size(), out.status).ec != std::errc{}) return false;
  out.reason = status_line.size() > sp + 5 ? std::string(status_line.substr(sp + 5)) : std::string{};
  for (std::string_view line = next_line(); !line.empty(); line = next_line()) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    out.headers.add(std::string(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  out.keep_alive = !boost::beast::iequals(out.header("Connection"), "close");
  return true;
}

}  // namespace

nlohmann::json sse_block::json() const {
  if (!data) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(*data, nullptr, false);
}

std::vector<std::string> sse_block::field_lines() const {
  std::vector<std::string> out;
  for (const auto& line : lines)
    if (!line.starts_with(':')) out.push_back(line);
  return out;
}

std::string sse_block::describe() const {
  std::string s = "SSE block:";
  for (const auto& line : lines) s += "\n  " + line;
  return s;
}

sse_reader::sse_reader(std::uint16_t port) : port_(port) {}

http_response sse_reader::open(verb method, std::string_view target, std::string body, const header_list& headers) {
  socket_ = std::make_unique<raw_socket>(port_);
  if (!socket_->connected()) return transport_error("connect: " + socket_->error());
  std::string req = std::string(boost::beast::http::to_string(method)) + " " + std::string(target) + " HTTP/1.1\r\n";
  req += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  req += "User-Agent: livekv-integration-tests\r\nAccept: text/event-stream\r\n";
  const bool has_type = std::any_of(headers.begin(), headers.end(),
                                    [](const auto& h) { return boost::beast::iequals(h.first, "Content-Type"); });
  if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
  if (!body.empty() || method == verb::post || method == verb::put)
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  for (const auto& [name, value] : headers) req += name + ": " + value + "\r\n";
  req += "\r\n" + body;
  if (!socket_->send(req)) return transport_error("sending the request: " + socket_->error());

  const auto head = socket_->read_until("\r\n\r\n");
  if (!head) return transport_error("no response head for " + std::string(target) + " within the deadline");
  http_response res;
  if (!parse_head(*head, res)) return transport_error("unparsable response head:\n" + *head);
  chunked_ = boost::beast::iequals(res.header("Transfer-Encoding"), "chunked");
  if (res.status == 200) {
    streaming_ = true;
    return res;
  }
  // Not a stream: read the whole (framed) body.
  const auto deadline = clock::now() + default_raw_timeout;
  if (chunked_) {
    while (auto chunk = read_chunk(deadline)) res.body += *chunk;
    if (!ended_) return transport_error("a chunked error body that does not end: " + error_);
  } else if (res.headers.contains("Content-Length")) {
    std::size_t n = 0;
    const std::string len = res.header("Content-Length");
    std::from_chars(len.data(), len.data() + len.size(), n);
    auto b = socket_->read_exactly(n, left_until(deadline));
    if (!b) return transport_error("the error body ended short of its Content-Length " + len);
    res.body = std::move(*b);
  } else {
    res.body = socket_->read_until_close(left_until(deadline)).data;
  }
  return res;
}

std::optional<std::string> sse_reader::read_chunk(clock::time_point deadline) {
  const auto size_line = socket_->read_until("\r\n", left_until(deadline));
  if (!size_line) {
    error_ = "no chunk header";
    return std::nullopt;
  }
  std::size_t n = 0;
  const auto [p, ec] = std::from_chars(size_line->data(), size_line->data() + size_line->size(), n, 16);
  if (ec != std::errc{} || p == size_line->data()) {
    error_ = "bad chunk header '" + *size_line + "'";
    return std::nullopt;
  }
  if (n == 0) {
    ended_ = true;
    return std::nullopt;
  }
  auto data = socket_->read_exactly(n + 2, left_until(deadline));
  if (!data || !data->ends_with("\r\n")) {
    error_ = "a chunk ended early or without CRLF";
    return std::nullopt;
  }
  data->resize(n);
  return data;
}

// Appends more decoded body bytes to pending_; false when none came (end, timeout, bad framing).
bool sse_reader::pull(clock::time_point deadline) {
  if (!streaming_) {
    error_ = "the answer was not a 200 stream";
    return false;
  }
  if (ended_) return false;
  if (chunked_) {
    auto chunk = read_chunk(deadline);
    if (!chunk) return false;
    pending_ += *chunk;
    return true;
  }
  // Close-delimited body: read what comes, a line at a time.
  auto bytes = socket_->read_until("\n", left_until(deadline));
  if (!bytes) {
    auto rest = socket_->read_until_close(std::chrono::milliseconds(0));
    pending_ += rest.data;
    ended_ = rest.closed;
    if (!ended_) error_ = "no complete line within the deadline";
    return !rest.data.empty();
  }
  pending_ += *bytes;
  return true;
}

std::optional<std::string> sse_reader::next_line(clock::time_point deadline) {
  for (;;) {
    if (const auto at = pending_.find('\n'); at != std::string::npos) {
      std::string line = pending_.substr(0, at);
      pending_.erase(0, at + 1);
      if (line.ends_with('\r')) line.pop_back();
      return line;
    }
    if (!pull(deadline)) {
      if (error_.empty()) error_ = ended_ ? "the stream ended" : "the stream stalled";
      return std::nullopt;
    }
  }
}

std::optional<sse_block> sse_reader::read_block(std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  sse_block block;
  for (;;) {
    auto line = next_line(deadline);
    if (!line) return std::nullopt;
    if (line->empty()) {
      if (block.lines.empty()) continue;  // extra blank lines end nothing
      return block;
    }
    block.lines.push_back(*line);
    if (line->front() == ':') {
      block.comments.push_back(line->substr(1));
      comments_.push_back(line->substr(1));
      continue;
    }
    const auto colon = line->find(':');
    const std::string field = line->substr(0, colon);
    std::string value = colon == std::string::npos ? std::string{} : line->substr(colon + 1);
    if (value.starts_with(' ')) value.erase(0, 1);
    if (field == "data") {
      block.data = block.data ? *block.data + "\n" + value : value;
    } else if (field == "id") {
      block.id = value;
    } else if (field == "event") {
      block.event = value;
    } else if (field == "retry") {
      block.retry = value;
      retry_ = value;
    }
  }
}

std::optional<sse_block> sse_reader::read_event(std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  for (;;) {
    auto block = read_block(left_until(deadline));
    if (!block || block->data) return block;
  }
}

}  // namespace livekv::test
