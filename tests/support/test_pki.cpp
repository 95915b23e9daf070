#include "support/test_pki.hpp"

#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

#include "support/server_process.hpp"

namespace livekv::test {

namespace {

// P-256 keys: quick to make, and every TLS client speaks ECDSA.
const std::vector<std::string> new_key = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"};

const std::string server_extensions =
    "basicConstraints=critical,CA:FALSE\n"
    "keyUsage=critical,digitalSignature\n"
    "extendedKeyUsage=serverAuth\n"
    "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
const std::string client_extensions =
    "basicConstraints=critical,CA:FALSE\n"
    "keyUsage=critical,digitalSignature\n"
    "extendedKeyUsage=clientAuth\n";

std::vector<std::string> joined(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

void test_pki::openssl(const std::vector<std::string>& args) const {
  const auto out = run_program("openssl", args);
  if (!out.status.exited_with(0)) {
    std::string cmd = "openssl";
    for (const auto& a : args) cmd += " " + a;
    throw std::runtime_error(cmd + ": " + out.status.describe() + "\n" + out.err);
  }
}

cert_files test_pki::make_signed(const std::string& name, const std::string& common_name, const cert_files& ca,
                                 const std::string& extensions) const {
  const cert_files f{dir_ / (name + ".pem"), dir_ / (name + ".key")};
  const auto csr = dir_ / (name + ".csr");
  const auto ext = dir_ / (name + ".ext");
  std::ofstream(ext) << extensions;
  openssl(joined({"req", "-new"}, joined(new_key, {"-subj", "/CN=" + common_name, "-keyout", f.key, "-out", csr})));
  // A random serial each time: two certificates with one name still differ.
  openssl({"x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial",
           std::to_string(std::random_device{}()), "-days", "2", "-extfile", ext, "-out", f.cert});
  return f;
}

test_pki::test_pki() {
  const auto make_ca = [&](const std::string& name, const std::string& cn) {
    cert_files ca{dir_ / (name + ".pem"), dir_ / (name + ".key")};
    openssl(joined({"req", "-x509"},
                   joined(new_key, {"-subj", "/CN=" + cn, "-days", "2", "-keyout", ca.key, "-out", ca.cert})));
    return ca;
  };
  ca_ = make_ca("ca", "livekv test CA");
  server_ = make_signed("server", "localhost", ca_, server_extensions);
  client_ = make_signed("client", "livekv-test-client", ca_, client_extensions);
  stranger_ca_ = make_ca("stranger-ca", "some other CA");
  stranger_client_ = make_signed("stranger-client", "stranger", stranger_ca_, client_extensions);
}

const test_pki& test_pki::shared() {
  static const test_pki pki;
  return pki;
}

cert_files test_pki::make_server_cert(const std::string& name, const std::string& common_name) const {
  return make_signed(name, common_name, ca_, server_extensions);
}

}  // namespace livekv::test
