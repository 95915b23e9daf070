#pragma once
// A Server-Sent Events client over a plain loopback socket: it sends one request (GET or POST),
// reads the answer's head, and then parses the never-ending body into blocks of `id:`, `event:`,
// `data:`, `retry:` and comment lines the way the WHATWG EventSource parser does (a field's value
// loses one leading space; a blank line ends a block; data lines are joined with "\n"). The body may
// be close-delimited or chunked. Every read has a deadline, so a silent server fails the test
// instead of hanging it.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/http_client.hpp"
#include "support/http_response.hpp"
#include "support/raw_socket.hpp"

namespace livekv::test {

// One block of the stream, as it arrived (everything up to a blank line).
struct sse_block {
  std::optional<std::string> id;
  std::optional<std::string> event;
  std::optional<std::string> data;   // the data lines joined with "\n"; nullopt when there were none
  std::optional<std::string> retry;  // the raw value of a retry: line
  std::vector<std::string> comments; // the text after ':' of each comment line
  std::vector<std::string> lines;    // the raw lines, comments included

  // The lines that are not comments (a comment may sit in any block and changes nothing).
  std::vector<std::string> field_lines() const;

  // `data` parsed as JSON; a discarded value when it is missing or not JSON.
  nlohmann::json json() const;
  std::string describe() const;
};

// Not thread-safe; one owner. After the stream ended or a read failed, later reads fail at once.
class sse_reader {
 public:
  explicit sse_reader(std::uint16_t port);

  // Sends `method target` (a body, when given, with Content-Type application/json unless `headers`
  // name another one) and reads the answer's head. For a 200 the body is left to read_block() and
  // read_event(); for any other status the whole body is read into the returned response. Status 0
  // with `error` when no answer arrived. Precondition: called once.
  http_response open(verb method, std::string_view target, std::string body = {}, const header_list& headers = {});
  http_response open(std::string_view target, const header_list& headers = {}) {
    return open(verb::get, target, {}, headers);
  }

  // The next block, whatever it holds (a retry hint, a comment, an event). nullopt when the stream
  // ends (ended()), the deadline passes, or the bytes are not a valid HTTP body (error()).
  std::optional<sse_block> read_block(std::chrono::milliseconds timeout = default_raw_timeout);
  // The next block that carries data (an event an EventSource would dispatch). Blocks without data
  // are skipped; their retry hints and comments are still recorded below.
  std::optional<sse_block> read_event(std::chrono::milliseconds timeout = default_raw_timeout);

  // The last retry: value seen so far, and every comment seen so far (in order).
  const std::optional<std::string>& retry_hint() const noexcept { return retry_; }
  const std::vector<std::string>& comments() const noexcept { return comments_; }

  bool ended() const noexcept { return ended_; }
  const std::string& error() const noexcept { return error_; }

 private:
  using clock = std::chrono::steady_clock;
  std::optional<std::string> next_line(clock::time_point deadline);
  bool pull(clock::time_point deadline);
  std::optional<std::string> read_chunk(clock::time_point deadline);

  std::uint16_t port_;
  std::unique_ptr<raw_socket> socket_;
  bool streaming_ = false;
  bool chunked_ = false;
  bool ended_ = false;
  std::string pending_;  // decoded body bytes not yet split into lines
  std::optional<std::string> retry_;
  std::vector<std::string> comments_;
  std::string error_;
};

}  // namespace livekv::test
