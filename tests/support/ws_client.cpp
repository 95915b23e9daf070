#include "support/ws_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/error.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace livekv::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

// A feed event is small; the bound only keeps a confused server from eating memory.
constexpr std::size_t max_message_bytes = 64 * 1024 * 1024;

// The TLS client context the options ask for: trusting options.tls_ca, presenting options.tls_cert.
// Filled before any stream is made from it (OpenSSL copies the certificate into each connection
// when the connection is created). A file that does not load is left out, so that the handshake
// fails and says why.
asio::ssl::context make_tls_context(const ws_options& options) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  if (!options.tls_ca) return ctx;
  beast::error_code ignored;
  ctx.set_verify_mode(asio::ssl::verify_peer);
  ctx.load_verify_file(*options.tls_ca, ignored);
  if (options.tls_cert && options.tls_key) {
    ctx.use_certificate_chain_file(*options.tls_cert, ignored);
    ctx.use_private_key_file(*options.tls_key, asio::ssl::context::pem, ignored);
  }
  return ctx;
}

}  // namespace

ws_client::ws_client(std::uint16_t port, ws_options options)
    : options_(std::move(options)),
      tls_ctx_(make_tls_context(options_)),
      ws_(options_.tls_ca ? std::variant<plain_ws, tls_ws>(std::in_place_index<1>, ioc_, tls_ctx_)
                          : std::variant<plain_ws, tls_ws>(std::in_place_index<0>, ioc_)),
      port_(port) {
  with_ws([this](auto& ws) {
    ws.read_message_max(max_message_bytes);
    ws.control_callback([this](websocket::frame_type kind, beast::string_view) {
      if (kind != websocket::frame_type::ping) return;
      ++pings_;
      if (on_ping_) on_ping_();
    });
  });
}

ws_client::~ws_client() { drop(); }

// Starts one asynchronous operation and runs the io_context until it completes. The tcp_stream's
// expiry closes the socket at the deadline, which ends the operation with beast::error::timeout.
template <typename Start>
beast::error_code ws_client::run(std::chrono::milliseconds timeout, Start&& start) {
  beast::error_code result = asio::error::would_block;
  with_ws([&](auto& ws) { beast::get_lowest_layer(ws).expires_after(timeout); });
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc_.restart();
  ioc_.run();
  return result;
}

asio::ip::tcp::socket& ws_client::socket() {
  return with_ws([](auto& ws) -> asio::ip::tcp::socket& { return beast::get_lowest_layer(ws).socket(); });
}

void ws_client::drop() noexcept {
  beast::error_code ignored;
  auto& socket = this->socket();
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  open_ = false;
}

http_response ws_client::connect(std::string_view target) {
  auto& socket = this->socket();
  beast::error_code ec;
  if (options_.receive_buffer_bytes > 0) {
    // Before connect: the window the client announces in its SYN is what limits the server.
    socket.open(asio::ip::tcp::v4(), ec);
    if (!ec) socket.set_option(asio::socket_base::receive_buffer_size(options_.receive_buffer_bytes), ec);
    if (ec) return transport_error("setting SO_RCVBUF: " + ec.message());
  }
  const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port_);
  ec = run(options_.timeout, [&](auto handler) { socket.async_connect(ep, std::move(handler)); });
  if (ec) {
    drop();
    return transport_error("connect to 127.0.0.1:" + std::to_string(port_) + ": " + ec.message());
  }
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  if (auto* tls = std::get_if<tls_ws>(&ws_)) {
    // The name the certificate must carry: the address connected to (in its subjectAltName).
    tls->next_layer().set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
    ec = run(options_.timeout, [&](auto handler) {
      tls->next_layer().async_handshake(asio::ssl::stream_base::client, std::move(handler));
    });
    if (ec) {
      drop();
      return transport_error("TLS handshake with 127.0.0.1:" + std::to_string(port_) + ": " + ec.message());
    }
  }

  with_ws([&](auto& ws) {
    ws.set_option(websocket::stream_base::decorator([headers = options_.headers](websocket::request_type& req) {
      req.set(beast::http::field::user_agent, "livekv-integration-tests");
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
  });
  websocket::response_type res;
  const std::string host = "127.0.0.1:" + std::to_string(port_);
  ec = run(options_.timeout,
           [&](auto handler) { with_ws([&](auto& ws) { ws.async_handshake(res, host, target, std::move(handler)); }); });
  // A refused upgrade still fills `res` (status, headers, body) before reporting upgrade_declined.
  if (ec && res.result_int() == 0) {
    drop();
    return transport_error("upgrading " + std::string(target) + ": " + ec.message());
  }
  http_response out = to_http_response(std::move(res));
  if (ec) {
    drop();
    if (out.status == 101) out.error = "the 101 answer is not a valid WebSocket upgrade: " + ec.message();
    return out;
  }
  open_ = true;
  return out;
}

std::optional<nlohmann::json> ws_client::read_event(std::chrono::milliseconds timeout) {
  closed_by_server_ = false;
  timed_out_ = false;
  if (!open_) {
    error_ = "read_event: the connection is not open (" + error_ + ")";
    return std::nullopt;
  }
  buffer_.clear();
  const auto ec = run(timeout, [&](auto handler) { with_ws([&](auto& ws) { ws.async_read(buffer_, std::move(handler)); }); });
  if (ec == websocket::error::closed) {
    closed_by_server_ = true;
    const websocket::close_reason reason = with_ws([](auto& ws) { return ws.reason(); });
    close_code_ = static_cast<std::uint16_t>(reason.code);
    close_reason_ = std::string(reason.reason.data(), reason.reason.size());
    error_ = "the server closed the WebSocket (code " + std::to_string(close_code_) + ", reason '" + close_reason_ + "')";
    drop();
    return std::nullopt;
  }
  if (ec) {
    timed_out_ = ec == beast::error::timeout;
    // An end of stream or a reset without a close frame is also the server ending the connection.
    closed_by_server_ = ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
    error_ = timed_out_ ? "no message within " + std::to_string(timeout.count()) + " ms" : "read: " + ec.message();
    drop();
    return std::nullopt;
  }
  const std::string text = beast::buffers_to_string(buffer_.data());
  if (!with_ws([](auto& ws) { return ws.got_text(); })) {
    error_ = "a binary frame of " + std::to_string(text.size()) + " bytes instead of a text frame";
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return nlohmann::json::parse(text, nullptr, false);
}

bool ws_client::send_text(std::string_view text) {
  if (!open_) {
    error_ = "send_text: the connection is not open";
    return false;
  }
  const auto ec = run(options_.timeout, [&](auto handler) {
    with_ws([&](auto& ws) {
      ws.text(true);
      ws.async_write(asio::buffer(text.data(), text.size()), std::move(handler));
    });
  });
  if (ec) {
    error_ = "write: " + ec.message();
    drop();
    return false;
  }
  return true;
}

void ws_client::close() noexcept {
  if (open_) {
    // async_close reads (and discards) what is still in flight until the server's close arrives.
    (void)run(options_.timeout, [&](auto handler) {
      with_ws([&](auto& ws) { ws.async_close(websocket::close_code::normal, std::move(handler)); });
    });
  }
  drop();
}

}  // namespace livekv::test
