#include "livekv/net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace livekv::net {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2's suites: forward secrecy and AEAD only (Mozilla's "intermediate" list). TLS 1.3's
// suites are all sound; OpenSSL's defaults stay.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

// Session resumption needs an id context once client certificates are verified; any constant.
constexpr unsigned char session_id_context[] = "livekv";

// OpenSSL's error queue as one sentence (and the queue emptied): its reasons, oldest first.
std::string openssl_reason() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    const std::string text = reason ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    if (out.find(text) != std::string::npos) continue;  // "PEM lib" twice says nothing new
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// The error for `what` (a flag's file) that OpenSSL refused. A file we cannot even open says so
// in the system's words, which are clearer than OpenSSL's report of the same thing.
status refused(const char* flag, const std::string& path, const std::string& what) {
  std::string reason = openssl_reason();
  if (std::FILE* probe = std::fopen(path.c_str(), "r")) {
    std::fclose(probe);
  } else {
    reason = std::string("cannot read it: ") + std::strerror(errno);
  }
  return {errc::bad_request, std::string(flag) + " " + path + ": " + what + ": " + reason};
}

result<std::shared_ptr<ssl::context>> build(const tls_files& files) {
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* h = ctx->native_handle();
  // TLS 1.2 at least: 1.0 and 1.1 are deprecated (RFC 8996). No compression (CRIME), no
  // client-initiated renegotiation (a cheap way to make the server do expensive work). Every
  // suite on the list is sound, so the client's order wins (it knows whether it has AES in
  // hardware).
  SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
  SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(h, tls12_ciphers) != 1)
    return status(errc::internal, "the TLS 1.2 cipher list was refused: " + openssl_reason());
  SSL_CTX_set_session_id_context(h, session_id_context, sizeof session_id_context - 1);

  if (SSL_CTX_use_certificate_chain_file(h, files.cert.c_str()) != 1)
    return refused("--tls-cert", files.cert, "not a usable PEM certificate chain");
  if (SSL_CTX_use_PrivateKey_file(h, files.key.c_str(), SSL_FILETYPE_PEM) != 1)
    return refused("--tls-key", files.key, "not a usable PEM private key");
  if (SSL_CTX_check_private_key(h) != 1)
    return refused("--tls-key", files.key, "does not belong to the certificate of --tls-cert " + files.cert);
  if (files.client_ca) {
    const std::string& ca = *files.client_ca;
    if (SSL_CTX_load_verify_locations(h, ca.c_str(), nullptr) != 1)
      return refused("--tls-client-ca", ca, "not a usable PEM CA certificate file");
    // Tell clients which CAs we accept, so that one holding several certificates picks the right one.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
    if (!names) return refused("--tls-client-ca", ca, "holds no CA certificate");
    SSL_CTX_set_client_CA_list(h, names);
    SSL_CTX_set_verify(h, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return ctx;
}

}  // namespace

tls_context::tls_context(tls_files files, std::shared_ptr<ssl::context> ctx)
    : files_(std::move(files)), ctx_(std::move(ctx)) {}

result<std::unique_ptr<tls_context>> tls_context::load(tls_files files) {
  auto ctx = build(files);
  if (!ctx) return ctx.error();
  return std::unique_ptr<tls_context>(new tls_context(std::move(files), std::move(*ctx)));
}

std::shared_ptr<ssl::context> tls_context::current() const {
  util::lock_guard lock(mutex_);
  return ctx_;
}

status tls_context::reload() {
  // Built outside the lock: reading files must not hold up connections being accepted.
  auto ctx = build(files_);
  if (!ctx) return ctx.error();
  std::shared_ptr<ssl::context> old;
  {
    util::lock_guard lock(mutex_);
    old = std::exchange(ctx_, std::move(*ctx));
  }
  return status::success();  // `old` goes when its last connection does (and here, outside the lock)
}

}  // namespace livekv::net
