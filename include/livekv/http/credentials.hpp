#pragma once
// Where a request carries its bearer token. Browsers cannot set headers on a WebSocket or an
// EventSource, so besides `Authorization: Bearer <token>` a token may come as the WebSocket
// subprotocol `bearer.<token>` (on an upgrade; the server echoes that protocol back) or as the
// query parameter `access_token` (on a request that accepts text/event-stream, as EventSource
// sends; nowhere else, since a token in a URL ends up in histories and proxy logs).
#include <optional>
#include <string>
#include <string_view>

#include "livekv/http/types.hpp"

namespace livekv::http {

struct credential {
  enum class source : unsigned char { header, subprotocol, query };
  std::string token;
  source from = source::header;
  std::string subprotocol;  // for source::subprotocol: the protocol to echo ("bearer.<token>")
};

// The request's token, looked for in the order above; nullopt when it sends none. A malformed
// Authorization header (another scheme, no token) counts as none.
std::optional<credential> find_credential(const request& req, std::string_view raw_query);

// `target` with the value of every access_token parameter replaced by "REDACTED", for logs.
// Returns `target` itself (no copy is needed) when it holds no such parameter.
std::string redact_target(std::string_view target);

}  // namespace livekv::http
