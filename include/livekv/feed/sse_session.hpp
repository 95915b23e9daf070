#pragma once
// GET/POST /v1/watch…: the Server-Sent Events transport of the live feed (text/event-stream).
// Each message is "id: <rev>\nevent: <op>\ndata: <json>\n\n" (reads and control messages carry no
// id, so a browser's Last-Event-ID stays a revision). The response has no length: it ends when the
// connection closes, so the connection is not reused afterwards.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <array>
#include <string>

#include "livekv/feed/feed_session.hpp"

namespace livekv::feed {

class sse_session final : public feed_session {
 public:
  // `request_id` goes back in X-Request-Id, as on every response; `extra_head`: more header lines
  // ("Name: value\r\n" each: CORS) for the response head.
  sse_session(boost::beast::tcp_stream&& stream, const feed_env& env, subscription sub, std::string request_id,
              std::string extra_head = {});
  // Writes the response head and starts streaming.
  void start();

 private:
  void read_next();
  void write(const std::vector<message>& batch) override;
  void finish(std::string_view reason, end_kind kind) override;
  void abort() override;
  std::shared_ptr<sse_session> self() { return std::static_pointer_cast<sse_session>(shared_from_this()); }

  boost::beast::tcp_stream stream_;
  std::string request_id_;
  std::string extra_head_;
  std::string out_;                  // the bytes being written
  std::array<char, 512> in_{};       // what the client sends after its request is ignored
  std::size_t ignored_ = 0;
};

}  // namespace livekv::feed
