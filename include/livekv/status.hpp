#pragma once
// The error value that crosses module boundaries. A `status` is a code plus a human sentence;
// `result<T>` is either a T or a non-ok status, with std::expected's member names so that the
// switch to std::expected (C++23) is a search-and-replace.
#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace livekv {

// Every failure a module can report. http/problem.cpp maps each one to an HTTP status and a
// stable snake_case code; keep the two lists in step.
enum class errc {
  ok = 0,
  bad_key,              // empty, invalid UTF-8, control characters
  key_too_long,         // longer than --max-key-bytes
  value_too_large,      // longer than --max-value-bytes
  bad_query,            // malformed or unknown query parameter
  bad_request,          // malformed request (headers, body framing)
  bad_json,             // body is not the JSON the route expects
  key_not_found,
  route_not_found,
  method_not_allowed,
  length_required,
  uri_too_long,
  headers_too_large,
  precondition_failed,  // If-Match / If-None-Match did not hold
  cas_mismatch,         // value compare-and-swap found another value
  condition_failed,     // a batch condition did not hold
  too_many_ops,         // batch over the op limit
  history_compacted,    // a resume point older than what the server holds
  upgrade_required,     // a WebSocket route asked without the upgrade headers
  too_many_subscribers, // --feed-max-subscribers reached
  draining,             // shutting down: no new work
  not_ready,            // still starting (recovery)
  read_only,            // the log failed; writes refused until it can be written again
  no_space,             // the disk is full (ENOSPC, EDQUOT)
  storage_failed,       // another I/O error of the disk
  unauthorized,         // no token, or one the auth file does not know (401)
  forbidden,            // a known token without the role, or a key outside its prefixes (403)
  origin_not_allowed,   // a browser's Origin that is neither ours nor a --cors-origin (403)
  host_not_allowed,     // a Host that is not an --allowed-host: DNS rebinding (421)
  rate_limited,         // over --rate-limit (429)
  too_many_connections, // over --max-connections or --max-connections-per-ip (503)
  internal,
};

class [[nodiscard]] status {
 public:
  status() = default;
  status(errc code, std::string message) : code_(code), message_(std::move(message)) {}

  static status success() { return {}; }
  bool ok() const noexcept { return code_ == errc::ok; }
  explicit operator bool() const noexcept { return ok(); }
  errc code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }

 private:
  errc code_ = errc::ok;
  std::string message_;
};

template <typename T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(status error) : v_(std::in_place_index<1>, std::move(error)) {  // NOLINT
    assert(!std::get<1>(v_).ok() && "a result's error must not be ok");
  }
  result(errc code, std::string message) : result(status(code, std::move(message))) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const status& error() const& { return std::get<1>(v_); }

 private:
  std::variant<T, status> v_;
};

}  // namespace livekv
