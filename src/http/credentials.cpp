#include "livekv/http/credentials.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "livekv/http/uri.hpp"

namespace livekv::http {

namespace {

constexpr std::string_view query_name = "access_token";
constexpr std::string_view protocol_prefix = "bearer.";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<credential> find_credential(const request& req, std::string_view raw_query) {
  if (const auto h = req.find(field::authorization); h != req.end()) {
    const std::string_view v = trim(h->value());
    // RFC 6750 §2.1: the scheme is case-insensitive, one space, then the token.
    if (v.size() > 7 && boost::beast::iequals(v.substr(0, 7), "bearer ")) {
      const auto token = trim(v.substr(7));
      if (!token.empty()) return credential{std::string(token), credential::source::header, {}};
    }
    return std::nullopt;  // another scheme: not ours, and not to be combined with the others
  }
  if (boost::beast::websocket::is_upgrade(req)) {
    // A comma-separated list of offered protocols; the browser requires the one chosen back.
    std::string_view offered = req[field::sec_websocket_protocol];
    while (!offered.empty()) {
      const auto comma = offered.find(',');
      const auto proto = trim(offered.substr(0, comma));
      if (proto.starts_with(protocol_prefix) && proto.size() > protocol_prefix.size())
        return credential{std::string(proto.substr(protocol_prefix.size())), credential::source::subprotocol,
                          std::string(proto)};
      offered = comma == std::string_view::npos ? std::string_view() : offered.substr(comma + 1);
    }
    return std::nullopt;
  }
  if (req[field::accept].find("text/event-stream") != std::string_view::npos &&
      raw_query.find(query_name) != std::string_view::npos) {
    auto params = parse_query(raw_query);
    if (!params) return std::nullopt;
    for (auto& [name, value] : *params)
      if (name == query_name && !value.empty()) return credential{std::move(value), credential::source::query, {}};
  }
  return std::nullopt;
}

std::string redact_target(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos || target.find(query_name, q) == std::string_view::npos) return std::string(target);
  std::string out(target.substr(0, q + 1));
  std::string_view rest = target.substr(q + 1);
  bool first = true;
  while (true) {
    const auto amp = rest.find('&');
    const auto param = rest.substr(0, amp);
    if (!first) out += '&';
    first = false;
    if (param.starts_with(query_name) && (param.size() == query_name.size() || param[query_name.size()] == '='))
      out.append(query_name).append("=REDACTED");
    else
      out.append(param);
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return out;
}

}  // namespace livekv::http
