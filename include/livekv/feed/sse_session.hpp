#pragma once
// GET/POST /v1/watch…: the Server-Sent Events transport of the live feed (text/event-stream).
// Each message is "id: <rev>\nevent: <op>\ndata: <json>\n\n" (reads and control messages carry no
// id, so a browser's Last-Event-ID stays a revision). The response has no length: it ends when the
// connection closes, so the connection is not reused afterwards.
#include <boost/beast/core/flat_buffer.hpp>
#include <array>
#include <string>

#include "livekv/feed/feed_session.hpp"
#include "livekv/http/taken_stream.hpp"

namespace livekv::feed {

// Takes over a connection (plaintext or TLS, see http/taken_stream.hpp), writes the response head
// and starts streaming. `request_id` goes back in X-Request-Id, as on every response; `extra_head`:
// more header lines ("Name: value\r\n" each: CORS) for the response head. On the connection's thread.
void start_sse_session(http::taken_stream&& stream, const feed_env& env, subscription sub, std::string request_id,
                       std::string extra_head = {});

// Stream: boost::beast::tcp_stream or http::tls_stream; both are instantiated in sse_session.cpp.
template <class Stream>
class sse_session final : public feed_session {
 public:
  // `request_id` goes back in X-Request-Id, as on every response; `extra_head`: more header lines
  // ("Name: value\r\n" each: CORS) for the response head.
  sse_session(Stream&& stream, const feed_env& env, subscription sub, std::string request_id,
              std::string extra_head = {});
  // Writes the response head and starts streaming.
  void start();

 private:
  void read_next();
  void write(const std::vector<message>& batch) override;
  void finish(std::string_view reason, end_kind kind) override;
  void abort() override;
  std::shared_ptr<sse_session> self() { return std::static_pointer_cast<sse_session>(shared_from_this()); }

  Stream stream_;
  std::string request_id_;
  std::string extra_head_;
  std::string out_;                  // the bytes being written
  std::array<char, 512> in_{};       // what the client sends after its request is ignored
  std::size_t ignored_ = 0;
};

}  // namespace livekv::feed
