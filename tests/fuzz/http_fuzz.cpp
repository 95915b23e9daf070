// The HTTP request path up to and through the handlers, on untrusted bytes: Beast's request parser
// with the session's limits and in the session's two steps (the head, then the body once the
// route's limit is known), the session's checks of the head, the router, and the real handlers
// over an in-memory store (their query, key and body decoding). Pipelined requests in one input
// are served in turn, as a connection serves them.
//
// This mirrors net::http_session::parse_head, on_header and parse_body (a reject here ends the
// input where the session would answer an error); keep them in step.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <spdlog/spdlog.h>

#include "fuzz_support.hpp"
#include "handler_world.hpp"
#include "livekv/http/credentials.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/http/uri.hpp"

namespace {

using namespace livekv;
namespace bhttp = boost::beast::http;

// Serves the request at the front of `in`, consuming its bytes; false when the connection would
// not serve another request after it (an error answered, the input ends, or no keep-alive).
bool serve_one(fuzz::handler_world& w, std::string_view& in) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(w.settings().max_header_bytes));
  parser.body_limit(boost::none);
  parser.eager(false);
  boost::beast::error_code ec;
  in.remove_prefix(parser.put(boost::asio::buffer(in.data(), in.size()), ec));
  if (ec || !parser.is_header_done()) return false;

  const auto& req = parser.get();
  const auto hosts = req.count(bhttp::field::host);
  if (hosts > 1 || (hosts == 0 && req.version() >= 11)) return false;
  if (req.version() < 11 && req.count(bhttp::field::transfer_encoding) != 0) return false;
  if (req.target().size() > w.max_target_bytes()) return false;
  const auto target = http::split_target(req.target());
  const auto match = w.routes().find(req.method(), target.path);
  // What the handlers decode, also for the paths and queries no route takes.
  (void)http::percent_decode(target.path);
  (void)http::parse_query(target.query);
  // Where a token would be found, and the access log's copy of the target.
  (void)http::find_credential(req, target.query);
  (void)http::redact_target(req.target());
  // Host, Origin, preflight: refused requests go no further, as in the session.
  if (auto verdict = w.guard().check(req, match, "127.0.0.1"); verdict.refusal) return false;
  if (!match.target) {
    (void)http::make_problem(match.error, "no route", req.version());
    return false;
  }
  const auto length = parser.content_length();
  if (length && *length > match.max_body) return false;
  parser.body_limit(match.max_body);
  if (req.method() == bhttp::verb::put && !length && !parser.chunked()) return false;

  parser.eager(true);
  while (!parser.is_done()) {
    if (in.empty()) return false;  // the session would wait for the rest
    const std::size_t used = parser.put(boost::asio::buffer(in.data(), in.size()), ec);
    in.remove_prefix(used);
    if (ec == bhttp::error::need_more || (!ec && used == 0)) return false;
    if (ec) return false;
  }
  const bool keep_alive = parser.get().keep_alive();
  http::request r = parser.release();
  (void)w.serve(r);  // routes again: `match` views the parser's copy of the target
  return keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::handler_world world;
  std::string_view in = fuzz::as_text(data, size);
  for (int requests = 0; requests < 8 && !in.empty(); ++requests)
    if (!serve_one(world, in)) break;
  return 0;
}
