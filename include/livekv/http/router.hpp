#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/http/request_context.hpp"
#include "livekv/http/types.hpp"
#include "livekv/status.hpp"

namespace livekv::http {

// Maps verb + path to a handler. Routes are exact ("/status") or prefix routes ("/v1/kv/", whose
// handler gets the rest of the path). HEAD is served by the GET handler when no HEAD route exists.
// Built once before the server starts, then read concurrently without locks.
class router {
 public:
  using handler = std::function<response(request_context&)>;

  void exact(verb method, std::string path, handler h);
  void prefix(verb method, std::string path_prefix, handler h);

  struct match {
    const handler* target = nullptr;  // null when no route serves this request
    errc error = errc::ok;            // route_not_found or method_not_allowed when target is null
    std::string allow;                // for method_not_allowed: the Allow header value
    std::string_view rest;            // for prefix routes
  };
  match find(verb method, std::string_view path) const;

 private:
  struct route {
    verb method;
    std::string path;
    bool is_prefix;
    handler h;
  };
  std::vector<route> routes_;
};

}  // namespace livekv::http
