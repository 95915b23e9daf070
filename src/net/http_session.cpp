#include "livekv/net/http_session.hpp"

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <spdlog/spdlog.h>

#include "livekv/http/credentials.hpp"
#include "livekv/http/http_date.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/http/request_id.hpp"
#include "livekv/util/json_text.hpp"
#include "livekv/http/uri.hpp"
#include "livekv/version.hpp"

namespace livekv::net {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;

namespace {

constexpr std::size_t first_read_bytes = 4096;
constexpr std::size_t body_read_bytes = 64 * 1024;
constexpr std::size_t linger_max_bytes = 4 * 1024 * 1024;

// The request target at the start of `head`, a request line received so far (perhaps cut off, and
// then so is the target). Empty when there is no space-delimited target (yet).
std::string_view target_so_far(std::string_view head) {
  const auto line = head.substr(0, head.find('\n'));
  const auto start = line.find(' ');
  if (start == std::string_view::npos) return {};
  const auto target = line.substr(start + 1);
  return target.substr(0, target.find(' '));
}

template <class Socket>
std::string endpoint_string(const Socket& s) {
  beast::error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" + std::to_string(ep.port());
}

// The bytes of a message's fields as they were sent ("name: value\r\n" each).
std::size_t field_bytes(const http::request& req) {
  std::size_t n = 0;
  for (const auto& f : req) n += f.name_string().size() + f.value().size() + 4;
  return n;
}

}  // namespace

template <class Stream>
http_session<Stream>::http_session(Stream&& stream, session_env& env, std::shared_ptr<const void> slot)
    : stream_(std::move(stream)),
      executor_(stream_.get_executor()),
      deadline_(executor_),
      log_wait_(boost::asio::use_service<log_wait_batch>(executor_.context())),
      env_(env),
      client_(endpoint_string(socket())),
      client_ip_(client_.substr(0, client_.rfind(':'))),
      slot_(std::move(slot)) {
  env_.state.connections.fetch_add(1, std::memory_order_relaxed);
  env_.state.connections_total.fetch_add(1, std::memory_order_relaxed);
}

template <class Stream>
http_session<Stream>::~http_session() {
  env_.registry.remove(this);
  env_.state.connections.fetch_sub(1, std::memory_order_relaxed);
}

template <class Stream>
void http_session<Stream>::start() {
  env_.registry.add(this->shared_from_this());
  deadline_.bind(this->weak_from_this(), [this] { on_timeout(); });
  beast::error_code ec;
  // Small responses go out at once; Nagle would hold them back waiting for an ACK.
  socket().set_option(asio::ip::tcp::no_delay(true), ec);
  // Answers are first written synchronously (see send()); a full socket must say so, not block.
  if constexpr (!tls) socket().non_blocking(true, ec);
  asio::dispatch(executor_, [self = this->shared_from_this()] {
    if (self->env_.state.draining) return self->close();
    if constexpr (tls) return self->handshake();
    self->wait_for_request();
  });
}

template <class Stream>
void http_session<Stream>::handshake() {
  if constexpr (tls) {
    // Under the request timeout: a client that connects and sends nothing (or plaintext, which
    // OpenSSL refuses at its first bytes) is gone long before the idle timeout.
    deadline_.set(env_.settings.header_timeout);
    stream_.async_handshake(boost::asio::ssl::stream_base::server,
                            beast::bind_front_handler(&http_session::on_handshake, this->shared_from_this()));
  }
}

template <class Stream>
void http_session<Stream>::on_handshake(beast::error_code ec) {
  if (ec) {
    // A plaintext request, an unknown CA, a client certificate missing under --tls-client-ca, a
    // scanner: routine on an open port, so a debug line and a close, nothing to answer.
    spdlog::debug("TLS handshake with {} failed: {}", client_, ec.message());
    return close();
  }
  secured_ = true;
  wait_for_request();
}

template <class Stream>
void http_session<Stream>::drain() {
  asio::post(executor_, [self = this->shared_from_this()] {
    self->draining_ = true;
    // An idle connection has nothing in flight: close it now. A busy one closes after its answer.
    if (self->phase_ == phase::waiting) self->close();
  });
}

template <class Stream>
void http_session<Stream>::wait_for_request() {
  if (draining_) return close();
  // Bytes of a pipelined request may already be buffered; otherwise wait for the first byte
  // under the idle timeout, and only then start the (shorter) request timeout.
  if (buffer_.size() > 0) return start_request();
  phase_ = phase::waiting;
  deadline_.set(env_.settings.idle_timeout);
  stream_.async_read_some(buffer_.prepare(first_read_bytes),
                          beast::bind_front_handler(&http_session::on_first_bytes, this->shared_from_this()));
}

template <class Stream>
void http_session<Stream>::on_first_bytes(beast::error_code ec, std::size_t n) {
  if (ec) return close();  // peer closed, idle timeout, or drain
  buffer_.commit(n);
  start_request();
}

template <class Stream>
void http_session<Stream>::start_request() {
  deadline_.clear();  // a request that is complete in the buffer needs no timeout at all
  phase_ = phase::reading;
  then_ = after_answer::next_request;
  timed_ = false;
  request_started_ = std::chrono::steady_clock::now();
  bytes_in_ = 0;
  match_ = {};
  pass_ = {};
  request_id_.clear();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(env_.settings.max_header_bytes));
  // No body limit yet: the route, known once the head is read, sets it (see on_header).
  parser_->body_limit(boost::none);
  parser_->eager(false);  // stop after the head: the route decides whether to read the body
  parse_head();
}

template <class Stream>
void http_session<Stream>::read_more(std::size_t max_bytes, handler_fn next) {
  if (!timed_) {
    // The request timeout runs from the first wait for more of the request to its last byte.
    timed_ = true;
    deadline_.set(env_.settings.header_timeout);
  }
  stream_.async_read_some(buffer_.prepare(max_bytes), beast::bind_front_handler(next, this->shared_from_this()));
}

template <class Stream>
void http_session<Stream>::parse_head() {
  beast::error_code ec = bhttp::error::need_more;
  if (buffer_.size() > 0) {
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    bytes_in_ += used;
  }
  if (ec == bhttp::error::need_more) return read_more(first_read_bytes, &http_session::on_head_bytes);
  if (ec == bhttp::error::header_limit) {
    // The request line counts against the header limit, so an over-long target trips it before
    // on_header() can see it; that client needs to hear 414 (its URI is the problem), not 431 (its
    // headers are). Beast parses the request line, and consumes it from the buffer, once it is
    // whole; until then the buffer starts with it.
    std::string_view target = parser_->get().target();
    if (target.empty()) {
      const auto buffered = buffer_.data();
      target = target_so_far(std::string_view(static_cast<const char*>(buffered.data()), buffered.size()));
    }
    if (target.size() > env_.settings.max_target_bytes)
      return reject(errc::uri_too_long,
                    "the request target is longer than " + std::to_string(env_.settings.max_target_bytes) + " bytes");
    return reject(errc::headers_too_large,
                  "the request head is larger than " + std::to_string(env_.settings.max_header_bytes) + " bytes");
  }
  if (ec) return reject(errc::bad_request, "malformed HTTP request: " + ec.message());
  on_header();
}

template <class Stream>
void http_session<Stream>::on_head_bytes(beast::error_code ec, std::size_t n) {
  // End of stream, a reset or the timeout before a whole head: nobody to answer.
  if (ec) return close();
  buffer_.commit(n);
  parse_head();
}

template <class Stream>
void http_session<Stream>::on_header() {
  request_started_ = std::chrono::steady_clock::now();
  head_bytes_ = bytes_in_;
  const auto& req = parser_->get();
  // RFC 9112 §3.2: a request with two Host fields is always 400. HTTP/1.1 must send one; HTTP/1.0
  // predates the header, so a 1.0 request without it is served (Beast accepts only 1.0 and 1.1).
  const auto hosts = req.count(bhttp::field::host);
  if (hosts > 1) return reject(errc::bad_request, "more than one Host header");
  if (hosts == 0 && req.version() >= 11) return reject(errc::bad_request, "an HTTP/1.1 request needs a Host header");
  // RFC 9112 §6.1: HTTP/1.0 has no Transfer-Encoding, so its framing is faulty; Beast would
  // otherwise read a chunked body that a 1.0 intermediary may have framed differently (smuggling).
  if (req.version() < 11 && req.count(bhttp::field::transfer_encoding) != 0)
    return reject(errc::bad_request, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
  if (req.target().size() > env_.settings.max_target_bytes)
    return reject(errc::uri_too_long,
                  "the request target is longer than " + std::to_string(env_.settings.max_target_bytes) + " bytes");
  // Route before reading the body: an unknown route or method is answered without waiting for it.
  match_ = env_.routes.find(req.method(), http::split_target(req.target()).path);
  // Host, Origin, token and rate are checked before anything else happens: a refused request's
  // body is never read, its route never learnt.
  if (env_.guard) {
    auto verdict = env_.guard->check(req, match_, client_ip_);
    if (verdict.refusal) {
      count_refusal(verdict.refusal->result());
      if (!parser_->is_done()) then_ = after_answer::linger_and_close;
      return send(std::move(*verdict.refusal), parser_->is_done() && req.keep_alive());
    }
    pass_ = std::move(verdict.admitted);
  }
  if (!match_.target) {
    auto res = http::make_problem(match_.error,
                                  match_.error == errc::method_not_allowed
                                      ? std::string(req.method_string()) + " is not allowed here"
                                      : "no route for " + std::string(http::split_target(req.target()).path),
                                  req.version());
    if (!match_.allow.empty()) res.set(bhttp::field::allow, match_.allow);
    if (!parser_->is_done()) then_ = after_answer::linger_and_close;
    return send(std::move(res), parser_->is_done() && req.keep_alive());
  }
  const auto length = parser_->content_length();
  if (length && *length > match_.max_body)
    return reject(errc::value_too_large,
                  "the body is larger than the limit of " + std::to_string(match_.max_body) + " bytes");
  parser_->body_limit(match_.max_body);
  // Without framing a request has no body (RFC 9112 §6.3). For PUT that is almost always a client
  // that forgot its value, so it is refused; a bodiless POST (an admin action) is fine.
  if (req.method() == bhttp::verb::put && !length && !parser_->chunked())
    return reject(errc::length_required, "send a Content-Length (or chunked Transfer-Encoding) with PUT");

  parser_->eager(true);  // from here on, parse as much of the body as has arrived
  // curl and browsers ask before sending a large body; say yes only once the limits passed.
  if (beast::iequals(req[bhttp::field::expect], "100-continue") && !parser_->is_done()) {
    static constexpr std::string_view interim_11 = "HTTP/1.1 100 Continue\r\n\r\n";
    static constexpr std::string_view interim_10 = "HTTP/1.0 100 Continue\r\n\r\n";
    const auto interim = req.version() == 10 ? interim_10 : interim_11;
    deadline_.set(env_.settings.idle_timeout);
    return asio::async_write(stream_, asio::buffer(interim.data(), interim.size()),
                             beast::bind_front_handler(&http_session::on_continue_sent, this->shared_from_this()));
  }
  parse_body();
}

template <class Stream>
void http_session<Stream>::count_refusal(http::status_code code) {
  switch (code) {
    case http::status_code::unauthorized: env_.state.unauthorized_total.fetch_add(1, std::memory_order_relaxed); break;
    case http::status_code::forbidden: env_.state.forbidden_total.fetch_add(1, std::memory_order_relaxed); break;
    case http::status_code::too_many_requests: env_.state.rate_limited_total.fetch_add(1, std::memory_order_relaxed); break;
    default: break;
  }
}

template <class Stream>
void http_session<Stream>::on_continue_sent(beast::error_code ec, std::size_t) {
  if (ec) return close();
  timed_ = false;  // the client starts its body now: time it from here
  parse_body();
}

template <class Stream>
void http_session<Stream>::parse_body() {
  while (!parser_->is_done()) {
    if (buffer_.size() == 0) return read_more(body_read_bytes, &http_session::on_body_bytes);
    beast::error_code ec;
    const std::size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    bytes_in_ += used;
    if (ec == bhttp::error::need_more || (!ec && used == 0)) {
      // Chunk data is consumed as it arrives. What the parser leaves in the buffer is a chunk
      // header or, after the last chunk, the trailer section, which Beast buffers whole (with no
      // limit of its own) before it parses it: both count against the head's limit, or a client
      // could make us hold any amount of "trailer" (48 MB per request was seen, kept after).
      if (head_bytes_ + buffer_.size() > env_.settings.max_header_bytes) return reject_trailers();
      return read_more(body_read_bytes, &http_session::on_body_bytes);
    }
    if (ec == bhttp::error::body_limit)
      return reject(errc::value_too_large,
                    "the body is larger than the limit of " + std::to_string(match_.max_body) + " bytes");
    if (ec == bhttp::error::header_limit) return reject_trailers();  // one trailer field beyond Beast's own bound
    if (ec) return reject(errc::bad_request, "malformed HTTP request body: " + ec.message());
  }
  // A trailer section that arrived whole in one read passed the check above: the head and the
  // trailer fields (now among the request's fields) must fit the limit together.
  if (parser_->chunked() && field_bytes(parser_->get()) > env_.settings.max_header_bytes) return reject_trailers();
  serve();
}

template <class Stream>
void http_session<Stream>::reject_trailers() {
  reject(errc::headers_too_large, "the request's header and trailer fields together are larger than " +
                                      std::to_string(env_.settings.max_header_bytes) + " bytes");
}

template <class Stream>
void http_session<Stream>::on_body_bytes(beast::error_code ec, std::size_t n) {
  if (ec) return close();  // a body cut short or timed out: the request cannot be served
  buffer_.commit(n);
  parse_body();
}

template <class Stream>
void http_session<Stream>::serve() {
  deadline_.clear();  // a handler may take its time (a durable write waits for fsync)
  phase_ = phase::serving;
  http::request& req = parser_->get();
  env_.state.requests_total.fetch_add(1, std::memory_order_relaxed);
  const auto target = http::split_target(req.target());
  // Until recovery has finished the store is incomplete: the API answers 503 (health routes don't).
  if (!env_.state.ready.load(std::memory_order_acquire) && target.path.starts_with("/v1/"))
    return send(http::make_problem(errc::not_ready, "the server is recovering its data; retry shortly", req.version()),
                req.keep_alive());
  const auto given_id = req["X-Request-Id"];
  request_id_ = http::is_sane_request_id(given_id) ? std::string(given_id) : http::make_request_id();
  http::request_context ctx{req, target.path, target.query, match_.rest, client_, {}, {}, request_id_, {}, pass_.who, {}, slot_};
  std::string extra_head;
  if (env_.guard && !pass_.cors_origin.empty()) {
    extra_head = env_.guard->cors_lines(pass_);
    ctx.extra_head = extra_head;
  }
  try {
    http::response res = (*match_.target)(ctx);
    if (ctx.take_over) return hand_over(ctx, std::move(res));
    if (ctx.durable) return await_log(ctx.durable, std::move(res), req.keep_alive());
    if (ctx.defer) return await_answer(ctx, std::move(res), req.keep_alive());
    send(std::move(res), req.keep_alive());
  } catch (const std::exception& e) {
    // Handlers report errors as values; reaching here is a bug (or out of memory), never bad input.
    spdlog::error("handler for {} {} threw: {}", req.method_string(), http::redact_target(req.target()), e.what());
    send(http::make_problem(errc::internal, "internal error", req.version()), false);
  }
}

template <class Stream>
void http_session<Stream>::hand_over(http::request_context& ctx, http::response&& res) {
  // The connection becomes a stream owned by someone else; account for the request here.
  req_method_ = ctx.req.method();
  if (env_.access_log) req_target_ = http::redact_target(ctx.req.target());
  res_.emplace(std::move(res));
  log_access(0);
  res_.reset();
  auto take_over = std::move(ctx.take_over);
  http::request taken = parser_->release();
  parser_.reset();
  deadline_.cancel();
  phase_ = phase::closed;  // to this session: the socket is the stream's now
  if constexpr (tls) {
    // The TLS stream goes as it is: its OpenSSL state cannot move to another stream type.
    take_over(http::taken_stream{std::move(stream_)}, std::move(buffer_), std::move(taken));
  } else {
    // Streams use blocking-mode semantics of their own (Beast's stream owns its timeouts).
    beast::error_code ec;
    stream_.non_blocking(false, ec);
    take_over(http::taken_stream{beast::tcp_stream(asio::ip::tcp::socket(std::move(stream_)))}, std::move(buffer_),
              std::move(taken));
  }
}

template <class Stream>
void http_session<Stream>::await_log(const durable_ticket& ticket, http::response&& res, bool keep_alive) {
  // A write: answered once its log record is durable, with the turn's other writes. The
  // connection serves nothing else meanwhile, so pipelined answers keep their order.
  res_.emplace(std::move(res));
  durable_keep_alive_ = keep_alive;
  phase_ = phase::awaiting;
  log_wait_.add(ticket, this->shared_from_this());
}

template <class Stream>
void http_session<Stream>::await_answer(http::request_context& ctx, http::response&& res, bool keep_alive) {
  // The answer waits (a long-poll, a snapshot); the connection serves nothing else meanwhile, so
  // later pipelined requests wait too and answers keep their order.
  res_.emplace(std::move(res));
  phase_ = phase::deferring;
  ctx.defer([self = this->shared_from_this(), keep_alive](std::optional<http::response> r) {
    // Answered before defer() returned, on this thread (a long-poll whose key changed): keep the
    // answer and send it below, rather than a round trip through the event loop.
    if (self->executor_.running_in_this_thread() && self->phase_ == phase::deferring) {
      self->early_.emplace(early_answer{std::move(r)});
      return;
    }
    asio::post(self->executor_,
               [self, keep_alive, r = std::move(r)]() mutable { self->resume(std::move(r), keep_alive); });
  });
  phase_ = phase::awaiting;
  if (early_) resume(std::exchange(early_, std::nullopt)->replacement, keep_alive);
}

template <class Stream>
void http_session<Stream>::resume(std::optional<http::response> replacement, bool keep_alive) {
  http::response res = replacement ? std::move(*replacement) : std::move(*res_);
  res_.reset();
  send(std::move(res), keep_alive);
}

template <class Stream>
void http_session<Stream>::on_log_done(const status& outcome) {
  if (outcome) return resume(std::nullopt, durable_keep_alive_);
  // Applied in memory but its log write or fsync failed: the outcome is unknown (it may have
  // reached the disk), and the client must not take it as acknowledged.
  const unsigned version = parser_ ? parser_->get().version() : 11;
  resume(http::make_problem(errc::read_only,
                            "the write was applied but the log failed before it was durable: its outcome is unknown; "
                            "the server is now read-only (" + outcome.message() + ")",
                            version),
         durable_keep_alive_);
}

template <class Stream>
void http_session<Stream>::reject(errc code, std::string detail) {
  const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
  // The rest of the request is unread and unframed: the connection cannot be reused.
  then_ = after_answer::linger_and_close;
  send(http::make_problem(code, detail, version), false);
}

template <class Stream>
void http_session<Stream>::send(http::response&& res, bool keep_alive) {
  const bool have_head = parser_ && parser_->is_header_done();
  const bool is_head = have_head && parser_->get().method() == bhttp::verb::head;
  req_method_ = have_head ? parser_->get().method() : bhttp::verb::unknown;
  if (env_.access_log) req_target_ = have_head ? http::redact_target(parser_->get().target()) : std::string("-");
  // The client's id when it is sane (it then ties our log to theirs), else one of ours. serve()
  // has chosen it already for requests that reached a handler.
  if (request_id_.empty() && have_head) {
    const auto given = parser_->get()["X-Request-Id"];
    if (http::is_sane_request_id(given)) request_id_ = std::string(given);
  }
  if (request_id_.empty()) request_id_ = http::make_request_id();
  if (then_ == after_answer::next_request && (!keep_alive || draining_ || env_.state.draining))
    then_ = after_answer::close;
  phase_ = phase::writing;
  res.keep_alive(then_ == after_answer::next_request);
  const auto code = res.result();
  if (code == bhttp::status::not_modified || code == bhttp::status::no_content) {
    res.body().clear();
  } else if (is_head) {
    // HEAD reports the length the GET would have sent, without the body.
    const auto n = res.body().view().size();
    res.body().clear();
    res.content_length(n);
  } else {
    res.prepare_payload();
  }
  if (env_.guard) env_.guard->decorate(res, pass_);
  res_.emplace(std::move(res));
  // The fields every answer carries go straight into the head, not through the response's fields.
  static const std::string server_header = "livekv/" + std::string(livekv::version);  // built once
  head_.start(*res_);
  head_.add("X-Request-Id", request_id_);
  head_.add("Server", server_header);
  head_.add("Date", http::current_http_date());
  head_.add("KV-Revision", env_.revision());
  head_.finish();
  const std::string_view head = head_.view();
  const std::string_view body = res_->body().view();
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head.data(), head.size()),
                                            asio::buffer(body.data(), body.size())};
  write_total_ = head.size() + body.size();
  if constexpr (tls) {
    // One buffer, so head and body go out as one TLS record (Asio's TLS stream writes one buffer
    // of a sequence per record). Asynchronously: a synchronous SSL write on a non-blocking socket
    // could stop in the middle of a record.
    tls_out_.assign(head);
    tls_out_.append(body);
    deadline_.set(env_.settings.idle_timeout);
    asio::async_write(stream_, asio::buffer(tls_out_),
                      beast::bind_front_handler(&http_session::on_write, this->shared_from_this()));
  } else {
    // Most answers fit the socket's send buffer: one sendmsg, no asynchronous write, no timer.
    beast::error_code ec;
    const std::size_t sent = stream_.write_some(buffers, ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) return on_write(ec, 0);
    if (!ec && sent == write_total_) return written(sent);
    // The rest goes out asynchronously, under the idle timeout (a reader that stopped reading).
    const std::size_t done = ec ? 0 : sent;
    if (done < head.size()) {
      buffers[0] = asio::buffer(head.data() + done, head.size() - done);
    } else {
      buffers[0] = asio::const_buffer();
      buffers[1] = asio::buffer(body.data() + (done - head.size()), body.size() - (done - head.size()));
    }
    deadline_.set(env_.settings.idle_timeout);
    asio::async_write(stream_, buffers,
                      [self = this->shared_from_this(), done](beast::error_code wec, std::size_t n) {
                        self->on_write(wec, done + n);
                      });
  }
}

template <class Stream>
void http_session<Stream>::on_write(beast::error_code ec, std::size_t n) {
  if (ec) {
    log_access(n);
    res_.reset();
    parser_.reset();
    return close();
  }
  written(n);
}

template <class Stream>
void http_session<Stream>::written(std::size_t n) {
  log_access(n);
  res_.reset();
  parser_.reset();
  if (then_ != after_answer::next_request) return close();
  // A pipelined request already in the buffer is started from the event loop rather than from
  // here: a write that completed at once would otherwise recurse once per buffered request.
  if (buffer_.size() > 0) {
    return asio::post(executor_, [self = this->shared_from_this()] { self->wait_for_request(); });
  }
  wait_for_request();
}

template <class Stream>
void http_session<Stream>::on_timeout() {
  // Like Beast's tcp_stream: the pending operation ends with an error and the session closes.
  beast::error_code ec;
  socket().close(ec);
}

template <class Stream>
void http_session<Stream>::log_access(std::size_t bytes) {
  if (!res_) return;
  const auto elapsed = std::chrono::steady_clock::now() - request_started_;
  const unsigned code = static_cast<unsigned>(res_->result());
  if (env_.metrics)
    env_.metrics->record(match_.index, req_method_, code, std::chrono::duration<double>(elapsed).count(), bytes_in_,
                         bytes);
  if (!env_.access_log) return;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  const std::string_view method = req_method_ == bhttp::verb::unknown ? "-" : bhttp::to_string(req_method_);
  if (env_.settings.json_access_log) {
    std::string line;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    util::json_writer json(line);
    json.begin_object()
        .number("ts_ms", static_cast<std::uint64_t>(now_ms.count()))
        .string("level", "info")
        .string("msg", "request")
        .string("method", method)
        .string("path", req_target_)
        .number("status", code)
        .number("duration_us", static_cast<std::uint64_t>(us))
        .number("bytes_in", bytes_in_)
        .number("bytes_out", bytes)
        .string("client", client_)
        .string("request_id", request_id_);
    if (pass_.who) json.string("token", pass_.who->name());
    json.end_object();
    env_.access_log->info("{}", line);
  } else {
    env_.access_log->info("{} \"{} {}\" {} {} {} {}us id={} token={}", client_, method, req_target_, code, bytes_in_,
                          bytes, us, request_id_, pass_.who ? std::string_view(pass_.who->name()) : std::string_view("-"));
  }
}

template <class Stream>
void http_session<Stream>::close() {
  beast::error_code ec;
  if constexpr (tls) {
    // A close_notify tells the client that the answer is whole (not cut off), and waiting for
    // its reply reads and drops what it still sends, as lingering does for plaintext; bounded.
    // Not before the handshake finished, nor while a read is pending (an idle connection being
    // drained), nor twice.
    const bool notify = secured_ && phase_ != phase::waiting && phase_ != phase::closed;
    phase_ = phase::closed;
    then_ = after_answer::close;
    if (!notify) {
      deadline_.cancel();
      socket().close(ec);
      return;
    }
    deadline_.set(std::chrono::seconds(2));
    return stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
      beast::error_code ignored;
      self->deadline_.cancel();
      self->socket().close(ignored);
    });
  }
  socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  phase_ = phase::closed;
  if (then_ == after_answer::linger_and_close && !ec) {
    // Closing with unread request bytes makes the kernel send RST, which can destroy our error
    // response before the client reads it. Read and discard (briefly, boundedly) until the client
    // has seen our FIN and closed its side.
    then_ = after_answer::close;
    deadline_.set(std::chrono::seconds(2));
    return discard_input();
  }
  deadline_.cancel();
  socket().close(ec);
}

template <class Stream>
void http_session<Stream>::discard_input() {
  buffer_.consume(buffer_.size());
  stream_.async_read_some(buffer_.prepare(first_read_bytes), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
    self->discarded_ += n;
    if (ec || self->discarded_ > linger_max_bytes) {
      beast::error_code ignored;
      self->deadline_.cancel();
      self->socket().close(ignored);
      return;
    }
    self->discard_input();
  });
}

template class http_session<http::tcp_socket>;
template class http_session<http::tls_stream>;

}  // namespace livekv::net
