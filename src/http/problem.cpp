#include "livekv/http/problem.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "livekv/util/json_text.hpp"
#include "livekv/util/utf8.hpp"

namespace livekv::http {

const problem_kind& problem_for(errc code) noexcept {
  using s = http::status_code;
  // Indexed by errc; the static_assert below keeps it in step with the enum.
  static const problem_kind table[] = {
      {s::ok, "ok", "OK"},
      {s::bad_request, "bad_key", "Invalid key"},
      {s::uri_too_long, "key_too_long", "Key too long"},
      {s::payload_too_large, "value_too_large", "Value too large"},
      {s::bad_request, "bad_query", "Invalid query parameter"},
      {s::bad_request, "bad_request", "Malformed request"},
      {s::bad_request, "bad_json", "Invalid JSON body"},
      {s::not_found, "key_not_found", "Key not found"},
      {s::not_found, "route_not_found", "No such route"},
      {s::method_not_allowed, "method_not_allowed", "Method not allowed"},
      {s::length_required, "length_required", "Content-Length required"},
      {s::uri_too_long, "uri_too_long", "URI too long"},
      {s::request_header_fields_too_large, "headers_too_large", "Request header fields too large"},
      {s::precondition_failed, "precondition_failed", "Precondition failed"},
      {s::conflict, "cas_mismatch", "Compare-and-swap mismatch"},
      {s::conflict, "condition_failed", "Batch condition failed"},
      {s::payload_too_large, "too_many_ops", "Batch too large"},
      {s::gone, "history_compacted", "Revision no longer held"},
      {s::upgrade_required, "upgrade_required", "WebSocket upgrade required"},
      {s::service_unavailable, "too_many_subscribers", "Too many feed subscribers"},
      {s::service_unavailable, "draining", "Server is shutting down"},
      {s::service_unavailable, "not_ready", "Server is starting"},
      {s::service_unavailable, "read_only", "Server is read-only"},
      {s::insufficient_storage, "insufficient_storage", "Insufficient storage"},
      {s::service_unavailable, "storage_failed", "Storage failed"},
      {s::unauthorized, "unauthorized", "Authentication required"},
      {s::forbidden, "forbidden", "Forbidden"},
      {s::forbidden, "origin_not_allowed", "Origin not allowed"},
      {s::misdirected_request, "host_not_allowed", "Host not allowed"},
      {s::too_many_requests, "rate_limited", "Too many requests"},
      {s::service_unavailable, "too_many_connections", "Too many connections"},
      {s::internal_server_error, "internal", "Internal error"},
  };
  static_assert(std::size(table) == static_cast<std::size_t>(errc::internal) + 1);
  return table[static_cast<std::size_t>(code)];
}

response make_problem(errc code, std::string_view detail, unsigned version, const nlohmann::ordered_json* extra) {
  const problem_kind& k = problem_for(code);
  response res{k.http_status, version};
  res.set(field::content_type, "application/problem+json");
  if (!extra && util::is_valid_utf8(detail)) {
    // The common case (a GET miss is one) written directly: building and dumping a JSON object
    // cost more than the rest of a 404. Same bytes as the general path below.
    std::string& out = res.body().text;
    out.reserve(128 + detail.size());
    util::json_writer(out)
        .begin_object()
        .string("type", "urn:livekv:problem:", k.code)
        .string("title", k.title)
        .number("status", static_cast<unsigned>(k.http_status))
        .string("detail", detail)
        .string("code", k.code)
        .end_object();
    out += '\n';
    return res;
  }
  nlohmann::ordered_json body = {
      {"type", "urn:livekv:problem:" + std::string(k.code)},
      {"title", k.title},
      {"status", static_cast<unsigned>(k.http_status)},
      {"detail", detail},
      {"code", k.code},
  };
  if (extra && extra->is_object()) body.update(*extra);
  res.body().text = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  res.body().text += '\n';
  return res;
}

}  // namespace livekv::http
