#pragma once
#include <string>
#include <string_view>

namespace livekv::http {

// A request id for X-Request-Id and the request log: unique within the process and, with a random
// per-process prefix, across restarts. Thread-safe.
std::string make_request_id();

// A client's X-Request-Id is echoed only if it is 1..128 characters of [A-Za-z0-9._:-], so it can
// never inject anything into a log line or a header.
bool is_sane_request_id(std::string_view id) noexcept;

}  // namespace livekv::http
