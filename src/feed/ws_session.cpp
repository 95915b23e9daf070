#include "livekv/feed/ws_session.hpp"

#include <boost/asio/buffer.hpp>
#include <type_traits>
#include <variant>
#include <nlohmann/json.hpp>

#include "livekv/http/credentials.hpp"
#include "livekv/http/http_date.hpp"
#include "livekv/util/json_nesting.hpp"
#include "livekv/util/json_text.hpp"
#include "livekv/version.hpp"

namespace livekv::feed {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {
// Clients only send pings and small requests; anything larger is a mistake or an attack.
constexpr std::size_t max_client_message = 4096;
}  // namespace

void start_ws_session(http::taken_stream&& stream, const feed_env& env, subscription sub, http::request&& req) {
  std::visit(
      [&](auto& s) {
        using stream_type = std::remove_cvref_t<decltype(s)>;
        std::make_shared<ws_session<stream_type>>(std::move(s), env, std::move(sub))->start(std::move(req));
      },
      stream.stream);
}

template <class Stream>
ws_session<Stream>::ws_session(Stream&& stream, const feed_env& env, subscription sub)
    : feed_session(env, std::move(sub), stream.get_executor()), ws_(std::move(stream)) {}

template <class Stream>
void ws_session<Stream>::start(http::request&& req) {
  req_ = std::move(req);
  // The WebSocket layer keeps its own timers; the HTTP session's deadline must not fire under it
  // (a plaintext connection arrives as a tcp_stream, whose own timer is switched off here).
  if constexpr (!http::is_tls_v<Stream>) beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = std::chrono::seconds(10);
  t.idle_timeout = env().settings.idle_timeout;
  t.keep_alive_pings = true;  // ping at half the idle timeout; close if nothing comes back
  ws_.set_option(t);
  // A browser sends its token as the subprotocol bearer.<token> and fails the connection unless
  // the server names the protocol it chose among those offered.
  std::string protocol;
  if (auto c = http::find_credential(req_, {}); c && c->from == http::credential::source::subprotocol)
    protocol = std::move(c->subprotocol);
  ws_.set_option(websocket::stream_base::decorator([&hub = env().hub, protocol](websocket::response_type& res) {
    if (!protocol.empty()) res.set(http::field::sec_websocket_protocol, protocol);
    res.set(http::field::server, "livekv/" + std::string(livekv::version));
    res.set(http::field::date, http::current_http_date());
    res.set("KV-Revision", std::to_string(hub.head()));
  }));
  // A close frame whose code is not valid on the wire is a protocol error (RFC 6455 §7.4): the
  // answer is 1002, not the code echoed back. Beast answers the reserved codes so itself; codes
  // from 5000 up it would echo (see corked_stream::replace_echoed_close_code).
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::close && ws_.reason().code >= 5000)
      ws_.next_layer().replace_echoed_close_code(websocket::close_code::protocol_error);
  });
  ws_.read_message_max(max_client_message);
  ws_.auto_fragment(false);
  ws_.text(true);
  ws_.async_accept(req_, [s = self()](beast::error_code ec) { s->on_accept(ec); });
}

template <class Stream>
void ws_session<Stream>::on_accept(beast::error_code ec) {
  req_ = {};
  if (ec) return ended();
  read_next();
  begin();
}

template <class Stream>
void ws_session<Stream>::read_next() {
  ws_.async_read(in_, [s = self()](beast::error_code ec, std::size_t n) { s->on_message(ec, n); });
}

template <class Stream>
void ws_session<Stream>::on_message(beast::error_code ec, std::size_t) {
  if (ec) {
    // Closed by the peer, timed out, or cut by us (finish/abort): the session is over.
    ended();
    return;
  }
  const auto text = beast::buffers_to_string(in_.data());
  in_.consume(in_.size());
  // Clients send only tiny control messages; a deep one is refused before the parser sees it.
  const auto j = util::json_nesting_exceeds(text) ? nlohmann::json(nlohmann::json::value_t::discarded)
                                                  : nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.value("op", "") == "ping") {
    std::string pong;
    util::json_writer(pong).begin_object().string("op", "pong").number("rev", env().hub.head()).end_object();
    send_control("pong", std::move(pong));
  } else {
    send_control("error", R"({"op":"error","detail":"the feed understands only {\"op\":\"ping\"} from clients"})");
  }
  read_next();
}

template <class Stream>
void ws_session<Stream>::write(const std::vector<message>& batch) {
  batch_ = &batch;
  next_ = 0;
  // Beast frames each message; the corked stream collects the frames and sends them together.
  ws_.next_layer().cork();
  write_frame();
}

template <class Stream>
void ws_session<Stream>::write_frame() {
  const auto text = (*batch_)[next_].text();
  ws_.async_write(boost::asio::buffer(text.data(), text.size()), [s = self()](beast::error_code ec, std::size_t) {
    if (!ec && ++s->next_ < s->batch_->size()) return s->write_frame();
    s->ws_.next_layer().flush([s, ec](beast::error_code flush_ec, std::size_t n) { s->written(ec ? ec : flush_ec, n); });
  });
}

template <class Stream>
void ws_session<Stream>::finish(std::string_view reason, end_kind kind) {
  // 4401 and 4403 are in the range RFC 6455 §7.4.2 leaves to applications: HTTP's 401 and 403.
  const std::uint16_t code = kind == end_kind::going_away     ? websocket::close_code::going_away
                             : kind == end_kind::unauthorized ? 4401
                             : kind == end_kind::forbidden    ? 4403
                                                              : websocket::close_code::try_again_later;
  websocket::close_reason cr(code);
  // A close reason is at most 123 bytes (RFC 6455 §5.5).
  cr.reason = std::string(reason.substr(0, 123));
  ws_.async_close(cr, [s = self()](beast::error_code) { s->ended(); });
}

template <class Stream>
void ws_session<Stream>::abort() {
  beast::error_code ignored;
  http::lowest_socket(ws_).shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  http::lowest_socket(ws_).close(ignored);
}

template class ws_session<beast::tcp_stream>;
template class ws_session<http::tls_stream>;

}  // namespace livekv::feed
