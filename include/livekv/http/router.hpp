#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/http/request_context.hpp"
#include "livekv/http/types.hpp"
#include "livekv/status.hpp"

namespace livekv::http {

// What a route asks of the caller when the server has an auth file (--auth-file): nothing (open:
// the health probes and the console's static page), or a token with a role. Without an auth file
// every route is open.
enum class access : std::uint8_t { open, read, write, admin };

// Maps verb + path to a handler. Routes are exact ("/status") or prefix routes ("/v1/kv/", whose
// handler gets the rest of the path). HEAD is served by the GET handler when no HEAD route exists.
// Built once before the server starts, then read concurrently without locks.
class router {
 public:
  using handler = std::function<response(request_context&)>;
  // Routes that take no body still accept a small one (and ignore it) rather than break clients.
  static constexpr std::size_t default_max_body = 64 * 1024;

  // `max_body`: the largest request body the route accepts; larger ones get 413 before they are read.
  void exact(verb method, std::string path, access needs, handler h, std::size_t max_body = default_max_body);
  void prefix(verb method, std::string path_prefix, access needs, handler h, std::size_t max_body = default_max_body);

  struct match {
    const handler* target = nullptr;  // null when no route serves this request
    errc error = errc::ok;            // route_not_found or method_not_allowed when target is null
    std::string allow;                // for method_not_allowed: the Allow header value
    std::string_view rest;            // for prefix routes
    std::size_t max_body = default_max_body;
    std::size_t index = no_route;     // of the route found, for per-route metrics
    // What the route asks of the caller; a request that found no route needs a known token
    // (read) before it learns that, so that the routes cannot be probed without one.
    access needs = access::read;
  };
  match find(verb method, std::string_view path) const;

  static constexpr std::size_t no_route = static_cast<std::size_t>(-1);
  std::size_t size() const noexcept { return routes_.size(); }
  // A route's path pattern for metrics and logs: "/status", or "/v1/kv/{key}" for a prefix route.
  std::string label(std::size_t index) const;

 private:
  struct route {
    verb method;
    std::string path;
    bool is_prefix;
    handler h;
    std::size_t max_body;
    access needs;
  };
  std::vector<route> routes_;
};

}  // namespace livekv::http
