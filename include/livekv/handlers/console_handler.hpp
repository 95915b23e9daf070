#pragma once
#include <string>

#include "livekv/http/router.hpp"
#include "livekv/store/entry.hpp"

namespace livekv::handlers {

// GET / (and HEAD): the web console, one self-contained page that talks to this same server (the
// REST API under /v1/ and the /wal feed). Holds no reference to anything; thread-safe once built.
class console_handler {
 public:
  console_handler();
  void register_routes(http::router& r);
  http::response page(http::request_context& ctx) const;

  // The policy sent with the page: nothing from other origins, and only the page's own script and
  // style sheet (by hash) may run or apply. Exposed for tests.
  const std::string& content_security_policy() const noexcept { return csp_; }

 private:
  // Built once: every response shares the same bytes and header value.
  store::value_ptr page_;
  std::string csp_;
};

}  // namespace livekv::handlers
