#pragma once
// The Date header (RFC 9110 §5.6.7, IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"), which every
// response carries (§6.6.1: an origin server with a clock must send it).
#include <cstddef>
#include <ctime>
#include <string_view>

namespace livekv::http {

// Length of an IMF-fixdate.
inline constexpr std::size_t http_date_size = 29;

// `t` (seconds since the epoch, UTC) as an IMF-fixdate, written into `out`. Independent of the
// locale and the time zone. Thread-safe.
std::string_view format_http_date(std::time_t t, char (&out)[http_date_size]) noexcept;

// The current time as an IMF-fixdate. Formatted once per second per thread and cached, so a
// response pays a time() call (vDSO) and a copy, not a calendar conversion. The view is valid on
// the calling thread until its next call in a later second.
std::string_view current_http_date() noexcept;

}  // namespace livekv::http
