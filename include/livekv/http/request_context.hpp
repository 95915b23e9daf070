#pragma once
#include <string>
#include <string_view>

#include "livekv/http/types.hpp"

namespace livekv::http {

// What a handler sees of one request. Lives on the session's stack for the handler call only.
struct request_context {
  request& req;  // mutable so a handler may move the body out instead of copying it
  std::string_view path;   // raw (percent-encoded) path
  std::string_view query;  // raw query, without '?'
  std::string_view rest;   // for prefix routes: the raw path after the prefix
  std::string_view client; // "ip:port" of the peer
};

}  // namespace livekv::http
