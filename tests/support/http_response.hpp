#pragma once
// A received HTTP response as plain data, shared by http_client and raw_socket.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace livekv::test {

// Header fields in arrival order; names compare case-insensitively (RFC 9110 §5.1).
class header_map {
 public:
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  // The first field named `name`, if any.
  std::optional<std::string> get(std::string_view name) const;
  // The first field named `name`, or "" when there is none.
  std::string value(std::string_view name) const { return get(name).value_or(std::string{}); }
  bool contains(std::string_view name) const { return get(name).has_value(); }
  std::size_t count(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const noexcept { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct http_response {
  int status = 0;       // 0: no response arrived; `error` says why
  std::string reason;   // the reason phrase
  header_map headers;
  std::string body;
  bool keep_alive = false;  // whether the server left the connection open
  std::string error;        // transport failure (connect, write, read, timeout), empty otherwise

  std::string header(std::string_view name) const { return headers.value(name); }
  // The body as JSON; a discarded value (is_discarded()) when it is not JSON.
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  // Status line, headers and (a prefix of) the body, or the transport error: for failure messages.
  std::string describe() const;
};
std::ostream& operator<<(std::ostream& os, const http_response& r);

// Converts a parsed Beast message.
http_response to_http_response(boost::beast::http::response<boost::beast::http::string_body>&& msg);

// A transport failure as a response with status 0.
http_response transport_error(std::string what);

}  // namespace livekv::test
