#pragma once
#include <boost/beast/core/flat_buffer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "livekv/auth/gate.hpp"
#include "livekv/durability.hpp"
#include "livekv/http/types.hpp"

namespace livekv::http {

struct taken_stream;  // http/taken_stream.hpp: needed only where a connection is handed or taken

// What a handler sees of one request. Lives on the session's stack for the handler call only.
struct request_context {
  request& req;  // mutable so a handler may move the body out instead of copying it
  std::string_view path;   // raw (percent-encoded) path
  std::string_view query;  // raw query, without '?'
  std::string_view rest;   // for prefix routes: the raw path after the prefix
  std::string_view client; // "ip:port" of the peer

  // Set by a handler whose answer must wait for an event (a long-poll's key changing, a
  // snapshot finishing): the session keeps the response and calls `defer(resume)`; `resume` may be
  // called from any thread, exactly once, with nullopt to send the kept response or with another
  // response to send instead (an error, or a result known only now).
  using resume_fn = std::function<void(std::optional<response>)>;
  std::function<void(resume_fn)> defer;

  // Set by a handler that turns the connection into a stream (a WebSocket upgrade, an SSE watch):
  // the session logs the handler's response as the request's outcome without sending it, then
  // hands its stream (plaintext or TLS, the handshake done), read buffer and request to
  // `take_over` and ends. Called on the connection's thread, once.
  using take_over_fn = std::function<void(taken_stream&&, boost::beast::flat_buffer&&, request&&)>;
  take_over_fn take_over;
  std::string_view request_id;  // the id the session gives this request (X-Request-Id)

  // Set by a handler whose answer may go out only once its write is durable: the ticket the
  // store's commit outcome carries. The session waits with the other answers of its event-loop
  // turn (net/log_wait_batch) and, should the log fail, answers read_only instead: the write was
  // applied in memory, its outcome on disk is unknown. Not with `defer` (which would be ignored)
  // nor `take_over`.
  durable_ticket durable;

  // With --auth-file, on a route that is not open: who sent the request (its token's entry),
  // which the handler checks the keys it touches against. Null without an auth file.
  auth::principal_ptr who;
  // Header lines ("Name: value\r\n") for a handler that writes its own response head (an SSE
  // stream): the CORS headers of a request from an allowed origin. Empty otherwise.
  std::string_view extra_head;
  // The connection's slot under --max-connections(-per-ip): a handler that takes the connection
  // over keeps it for as long as the stream is open. Null without those limits.
  std::shared_ptr<const void> connection_slot;
};

}  // namespace livekv::http
