#pragma once
// The server's TLS identity as an OpenSSL context (--tls-cert, --tls-key, --tls-client-ca): the
// certificate chain and its key, TLS 1.2 at least, a cipher list without the weak suites, and,
// with a client CA, mutual TLS (a client must present a certificate that CA signed).
//
// reload() builds a whole new context from the same files and swaps it in; connections already
// open keep the one they started with (OpenSSL's SSL object holds a reference to its SSL_CTX, so an
// old context lives exactly as long as its last connection).
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "livekv/status.hpp"
#include "livekv/util/mutex.hpp"

namespace livekv::net {

// Where the TLS material lives: paths to PEM files.
struct tls_files {
  std::string cert;                      // the certificate chain, the server's own certificate first
  std::string key;                       // its private key (unencrypted)
  std::optional<std::string> client_ca;  // CA certificates that sign client certificates (mTLS)
};

// Thread-safe: current() and reload() may be called from any thread.
class tls_context {
 public:
  // Loads the files into a context. Errors (errc::bad_request): a file that cannot be read or
  // parsed, or a key that does not match the certificate; the message names the file and gives
  // OpenSSL's reason.
  static result<std::unique_ptr<tls_context>> load(tls_files files);

  // The context a new connection uses: hold it only while constructing the connection's stream.
  std::shared_ptr<boost::asio::ssl::context> current() const LIVEKV_EXCLUDES(mutex_);

  // Reads the files again into a new context and makes it current. On error (as load()'s) the
  // current context stays, and the status says why; nothing else changes.
  status reload() LIVEKV_EXCLUDES(mutex_);

  const tls_files& files() const noexcept { return files_; }

 private:
  explicit tls_context(tls_files files, std::shared_ptr<boost::asio::ssl::context> ctx);

  const tls_files files_;
  mutable util::mutex mutex_;  // guards ctx_ (the pointer; the context itself is not changed once built)
  std::shared_ptr<boost::asio::ssl::context> ctx_ LIVEKV_GUARDED_BY(mutex_);
};

}  // namespace livekv::net
