#pragma once
// Certificates for the TLS tests, made with the openssl command line into a temporary directory:
// a CA, a server certificate for localhost and 127.0.0.1 (in its subjectAltName, which is what
// clients check), and a client certificate for mutual TLS, all signed by the CA. Making them takes
// a few hundred milliseconds, so a test binary makes one set (shared()) and reuses it; a test that
// needs another server certificate (a reload) asks for one with its own name.
#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace livekv::test {

// A certificate and its key, as PEM files.
struct cert_files {
  std::filesystem::path cert;
  std::filesystem::path key;
};

// Not thread-safe (one test thread). The files live as long as the object.
class test_pki {
 public:
  // Makes the CA, the server and the client certificate; throws std::runtime_error with openssl's
  // own output when the openssl command fails or is missing.
  test_pki();

  // Made once per test process, on first use, and removed at its exit.
  static const test_pki& shared();

  const std::filesystem::path& ca() const noexcept { return ca_.cert; }
  const cert_files& server() const noexcept { return server_; }
  const cert_files& client() const noexcept { return client_; }
  // Another CA, which signed nothing the server trusts: a client certificate of its own.
  const cert_files& stranger_client() const noexcept { return stranger_client_; }

  // A new server certificate for localhost and 127.0.0.1 signed by the CA, with subject CN
  // `common_name`, as <name>.pem and <name>.key. Throws as the constructor does.
  cert_files make_server_cert(const std::string& name, const std::string& common_name) const;

 private:
  void openssl(const std::vector<std::string>& args) const;
  cert_files make_signed(const std::string& name, const std::string& common_name, const cert_files& ca,
                         const std::string& extensions) const;

  temp_dir dir_;
  cert_files ca_;
  cert_files server_;
  cert_files client_;
  cert_files stranger_ca_;
  cert_files stranger_client_;
};

}  // namespace livekv::test
