#include "support/http_response.hpp"

#include <boost/beast/core/string.hpp>
#include <ostream>

namespace livekv::test {

std::optional<std::string> header_map::get(std::string_view name) const {
  for (const auto& [n, v] : fields_)
    if (boost::beast::iequals(n, name)) return v;
  return std::nullopt;
}

std::size_t header_map::count(std::string_view name) const {
  std::size_t n = 0;
  for (const auto& f : fields_) n += boost::beast::iequals(f.first, name) ? 1 : 0;
  return n;
}

std::string http_response::describe() const {
  if (status == 0) return "no response: " + error;
  // Bodies can be whole values; a prefix is enough to recognise what went wrong.
  constexpr std::size_t max_body = 2048;
  std::string s = "HTTP " + std::to_string(status) + " " + reason + "\n";
  for (const auto& [n, v] : headers.fields()) s += n + ": " + v + "\n";
  s += "\n" + body.substr(0, max_body);
  if (body.size() > max_body) s += "[... " + std::to_string(body.size() - max_body) + " more bytes]";
  return s;
}

std::ostream& operator<<(std::ostream& os, const http_response& r) { return os << r.describe(); }

http_response to_http_response(boost::beast::http::response<boost::beast::http::string_body>&& msg) {
  http_response r;
  r.status = static_cast<int>(msg.result_int());
  r.reason = std::string(msg.reason());
  for (const auto& f : msg) r.headers.add(std::string(f.name_string()), std::string(f.value()));
  r.keep_alive = msg.keep_alive();
  r.body = std::move(msg.body());
  return r;
}

http_response transport_error(std::string what) {
  http_response r;
  r.error = std::move(what);
  return r;
}

}  // namespace livekv::test
