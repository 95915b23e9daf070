#pragma once
// What an HTTP session is given by the server: its own settings and the few services it uses.
// The network layer sees neither the whole config nor the store: the revision each answer
// reports comes through a function, a write's durability through the ticket its handler hands
// back (http::request_context::durable).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "livekv/http/http_metrics.hpp"
#include "livekv/http/router.hpp"
#include "livekv/net/connection_registry.hpp"
#include "livekv/net/request_guard.hpp"
#include "livekv/server_state.hpp"

namespace spdlog { class logger; }

namespace livekv::net {

// The limits and timeouts a session applies (the server derives them from its config).
struct session_settings {
  std::chrono::milliseconds header_timeout{10'000};  // from a request's first byte to its whole head
  std::chrono::milliseconds idle_timeout{60'000};    // between requests, and for a stalled write
  std::size_t max_header_bytes = 16 * 1024;          // request line + fields, and trailers
  std::size_t max_target_bytes = 7 * 1024;           // the request-target (414 beyond)
  bool json_access_log = false;                      // access log lines as JSON instead of text
};

// What every session needs from the server; all references outlive every session.
struct session_env {
  session_settings settings;
  const http::router& routes;
  std::function<std::uint64_t()> revision;  // the store revision every answer reports (KV-Revision)
  server_state& state;
  connection_registry& registry;
  spdlog::logger* access_log;   // null when the access log is off
  http::http_metrics* metrics;  // null in tests that need none
  // Host, Origin, token and rate checks before a request's route sees it (net/request_guard);
  // null in tests that need none.
  const request_guard* guard = nullptr;
};

}  // namespace livekv::net
