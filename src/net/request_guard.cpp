#include "livekv/net/request_guard.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <spdlog/fmt/fmt.h>

#include "livekv/http/credentials.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/http/uri.hpp"

namespace livekv::net {

namespace bhttp = boost::beast::http;

namespace {

// What a page on an allowed origin may send and read (besides the CORS-safelisted headers).
constexpr std::string_view allowed_request_headers =
    "Authorization, If-Match, If-None-Match, Content-Type, Last-Event-ID, X-Request-Id";
constexpr std::string_view exposed_headers =
    "ETag, KV-Revision, KV-Create-Revision, KV-Mod-Revision, KV-Version, KV-Expires-At, KV-Lease, X-Request-Id, "
    "Location, Retry-After, RateLimit, RateLimit-Policy";
constexpr std::string_view default_methods = "GET, HEAD, PUT, DELETE, POST";
constexpr std::string_view preflight_max_age = "600";

// The host name of a Host header: without the port, brackets kept for IPv6 ("[::1]").
std::string_view host_name(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

}  // namespace

request_guard::request_guard(guard_settings settings, const auth::gate* gate, rate_limiter* limiter)
    : settings_(std::move(settings)),
      gate_(gate),
      limiter_(limiter),
      any_host_(settings_.allowed_hosts.empty() ||
                std::find(settings_.allowed_hosts.begin(), settings_.allowed_hosts.end(), "*") !=
                    settings_.allowed_hosts.end()) {}

bool request_guard::host_allowed(std::string_view host) const {
  if (any_host_) return true;
  const auto name = host_name(host);
  return std::any_of(settings_.allowed_hosts.begin(), settings_.allowed_hosts.end(),
                     [&](const std::string& h) { return boost::beast::iequals(host_name(h), name); });
}

std::string_view request_guard::cors_entry(std::string_view origin) const {
  for (const auto& o : settings_.cors_origins) {
    if (o == "*") return o;
    if (boost::beast::iequals(o, origin)) return origin;
  }
  return {};
}

request_guard::verdict request_guard::check(const http::request& req, const http::router::match& m,
                                            std::string_view client_ip) const {
  verdict v;
  const unsigned version = req.version();
  const std::string_view host = req[bhttp::field::host];
  // HTTP/1.0 may omit Host: nothing to rebind then.
  if (!host.empty() && !host_allowed(host))
    return {http::make_problem(errc::host_not_allowed,
                               "this server does not answer to the host '" + std::string(host_name(host)) +
                                   "' (--allowed-host)",
                               version),
            {}};

  if (const auto o = req.find(bhttp::field::origin); o != req.end()) {
    const std::string_view origin = o->value();
    const std::string_view scheme = settings_.tls ? "https://" : "http://";
    const bool own = !host.empty() && origin.size() == scheme.size() + host.size() &&
                     boost::beast::iequals(origin.substr(0, scheme.size()), scheme) &&
                     boost::beast::iequals(origin.substr(scheme.size()), host);
    if (!own) {
      const auto entry = cors_entry(origin);
      if (entry.empty())
        return {http::make_problem(errc::origin_not_allowed,
                                   "pages from the origin '" + std::string(origin) +
                                       "' may not use this server (--cors-origin)",
                                   version),
                {}};
      v.admitted.cors_origin = std::string(entry == "*" ? std::string_view("*") : origin);
      if (req.method() == bhttp::verb::options && req.count(bhttp::field::access_control_request_method) != 0) {
        v.refusal = preflight(req, v.admitted.cors_origin, m);
        return v;
      }
    }
  }

  // Open routes (the health probes, the console's page) need no token and are not rate limited:
  // a load balancer's probes must not be refused.
  if (m.target && m.needs == http::access::open) return v;
  if (gate_) {
    const auto credential = http::find_credential(req, http::split_target(req.target()).query);
    // A request that found no route needs a known token (any role) before it learns so.
    const std::optional<auth::role> needed = !m.target                       ? std::nullopt
                                             : m.needs == http::access::read  ? std::optional(auth::role::read)
                                             : m.needs == http::access::write ? std::optional(auth::role::write)
                                                                              : std::optional(auth::role::admin);
    auto who = gate_->admit(credential ? std::optional<std::string_view>(credential->token) : std::nullopt, needed);
    if (!who) {
      auto res = http::make_problem(who.error(), version);
      if (who.error().code() == errc::unauthorized)
        res.set(bhttp::field::www_authenticate,
                credential ? "Bearer realm=\"livekv\", error=\"invalid_token\"" : "Bearer realm=\"livekv\"");
      decorate(res, v.admitted);  // a page on an allowed origin may read why
      v.refusal = std::move(res);
      return v;
    }
    v.admitted.who = std::move(*who);
  }
  if (limiter_) {
    const std::string client = v.admitted.who ? "token:" + v.admitted.who->name() : "ip:" + std::string(client_ip);
    const auto d = limiter_->take(client);
    v.admitted.rate = d;
    if (!d.allowed) {
      auto res = http::make_problem(errc::rate_limited,
                                    "more than " + std::to_string(limiter_->burst()) + " requests at once or " +
                                        fmt::format("{:g}", limiter_->rate()) + " per second; retry in " +
                                        std::to_string(d.retry_after_s) + " s",
                                    version);
      res.set(bhttp::field::retry_after, std::to_string(d.retry_after_s));
      decorate(res, v.admitted);
      v.refusal = std::move(res);
      return v;
    }
  }
  return v;
}

http::response request_guard::preflight(const http::request& req, std::string_view origin,
                                        const http::router::match& m) const {
  // A preflight carries no credentials (browsers never send them on one): answered before auth.
  http::response res{http::status_code::no_content, req.version()};
  res.set(bhttp::field::access_control_allow_origin, origin);
  res.set(bhttp::field::access_control_allow_methods, m.allow.empty() ? std::string(default_methods) : m.allow);
  res.set(bhttp::field::access_control_allow_headers, allowed_request_headers);
  res.set(bhttp::field::access_control_max_age, preflight_max_age);
  res.set(bhttp::field::vary, "Origin");
  return res;
}

void request_guard::decorate(http::response& res, const pass& p) const {
  if (!p.cors_origin.empty()) {
    res.set(bhttp::field::access_control_allow_origin, p.cors_origin);
    res.set(bhttp::field::access_control_expose_headers, exposed_headers);
    res.set(bhttp::field::vary, "Origin");
  }
  if (p.rate && limiter_) {
    res.set("RateLimit-Policy", limiter_->policy());
    res.set("RateLimit", "\"client\";r=" + std::to_string(p.rate->remaining) + ";t=" + std::to_string(p.rate->reset_s));
  }
}

std::string request_guard::cors_lines(const pass& p) const {
  if (p.cors_origin.empty()) return {};
  std::string out = "Access-Control-Allow-Origin: " + p.cors_origin + "\r\n";
  out += "Access-Control-Expose-Headers: ";
  out += exposed_headers;
  out += "\r\nVary: Origin\r\n";
  return out;
}

}  // namespace livekv::net
