#pragma once
// What every request passes before its route sees it, on every transport alike (REST,
// long-poll, SSE, the WebSocket upgrade), in this order:
//   1. Host: one of --allowed-host (DNS rebinding), else 421;
//   2. Origin: absent (curl, SDKs), this server's own, or a --cors-origin, else 403; a CORS
//      preflight (OPTIONS with Access-Control-Request-Method) is answered here, 204 or 403;
//   3. the bearer token, with --auth-file: 401 without a known one (any route but the open
//      ones), 403 without the route's role;
//   4. the client's rate (--rate-limit): 429 with Retry-After.
// A refusal is answered before the request's body is read. Immutable after construction but for
// the auth gate (which reloads itself) and the rate limiter (which locks): any thread may call it.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/auth/gate.hpp"
#include "livekv/http/router.hpp"
#include "livekv/http/types.hpp"
#include "livekv/net/rate_limiter.hpp"

namespace livekv::net {

struct guard_settings {
  std::vector<std::string> cors_origins;   // "*" allows any
  std::vector<std::string> allowed_hosts;  // host names, without port; empty or "*": any
  bool tls = false;                        // this server's own origin is https://<Host>
};

class request_guard {
 public:
  // `gate`: null without --auth-file; `limiter`: null without --rate-limit. Both outlive the guard.
  request_guard(guard_settings settings, const auth::gate* gate, rate_limiter* limiter);

  // What the guard found out about a request it lets through.
  struct pass {
    auth::principal_ptr who;              // with --auth-file and a route that is not open
    std::string cors_origin;              // non-empty: answer with CORS headers for this origin
    std::optional<rate_limiter::decision> rate;  // with --rate-limit: for the RateLimit header
  };
  // Either the request may go on (and what was learnt), or the response that refuses it.
  struct verdict {
    std::optional<http::response> refusal;
    pass admitted;
  };
  // `m`: the request's route (perhaps none); `client_ip`: the peer's address, the rate limit's
  // client without a token.
  verdict check(const http::request& req, const http::router::match& m, std::string_view client_ip) const;

  // Adds what a response to an admitted request carries: CORS headers for its origin, the
  // rate-limit headers. Cheap when there is nothing to add.
  void decorate(http::response& res, const pass& p) const;
  // The CORS header lines ("Name: value\r\n" each) for a response that is not an http::response
  // (a Server-Sent Events stream writes its own head).
  std::string cors_lines(const pass& p) const;

  bool auth_enabled() const noexcept { return gate_ != nullptr; }

 private:
  bool host_allowed(std::string_view host) const;
  // The origin's CORS entry ("*" or the origin), or empty when it is not allowed cross-origin.
  std::string_view cors_entry(std::string_view origin) const;
  http::response preflight(const http::request& req, std::string_view origin, const http::router::match& m) const;

  const guard_settings settings_;
  const auth::gate* gate_;
  rate_limiter* limiter_;
  const bool any_host_;
};

}  // namespace livekv::net
