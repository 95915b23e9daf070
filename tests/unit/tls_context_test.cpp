// net::tls_context: loading the certificate, key and client CA; every refusal names the file and
// says why; a reload swaps the context for new connections and a broken file on reload keeps the old.
#include "livekv/net/tls_context.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

namespace livekv::net {
namespace {

using test::test_pki;

// The subject CN of the certificate `ctx` serves.
std::string served_common_name(boost::asio::ssl::context& ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx.native_handle());
  if (!cert) return "";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

tls_files shared_files() {
  const auto& pki = test_pki::shared();
  return {pki.server().cert.string(), pki.server().key.string(), std::nullopt};
}

TEST(tls_context, loads_a_certificate_and_its_key) {
  auto ctx = tls_context::load(shared_files());
  ASSERT_TRUE(ctx) << ctx.error().message();
  EXPECT_EQ(served_common_name(*(*ctx)->current()), "localhost");
  // TLS 1.2 at least.
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*ctx)->current()->native_handle()), TLS1_2_VERSION);
}

TEST(tls_context, a_client_ca_makes_client_certificates_required) {
  auto files = shared_files();
  files.client_ca = test_pki::shared().ca().string();
  auto ctx = tls_context::load(files);
  ASSERT_TRUE(ctx) << ctx.error().message();
  EXPECT_EQ(SSL_CTX_get_verify_mode((*ctx)->current()->native_handle()),
            SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
}

TEST(tls_context, a_missing_certificate_file_is_named_with_the_reason) {
  auto files = shared_files();
  files.cert = "/nonexistent/server.pem";
  auto ctx = tls_context::load(files);
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code(), errc::bad_request);
  EXPECT_NE(ctx.error().message().find("--tls-cert /nonexistent/server.pem"), std::string::npos) << ctx.error().message();
  EXPECT_NE(ctx.error().message().find("No such file or directory"), std::string::npos) << ctx.error().message();
}

TEST(tls_context, a_file_that_is_not_pem_is_named_with_openssls_reason) {
  test::temp_dir dir;
  const auto junk = dir / "junk.pem";
  std::ofstream(junk) << "not a certificate\n";
  auto files = shared_files();
  files.cert = junk.string();
  auto ctx = tls_context::load(files);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().message().find("--tls-cert " + junk.string()), std::string::npos) << ctx.error().message();
  EXPECT_NE(ctx.error().message().find("no start line"), std::string::npos) << ctx.error().message();

  files = shared_files();
  files.key = junk.string();
  ctx = tls_context::load(files);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().message().find("--tls-key " + junk.string()), std::string::npos) << ctx.error().message();

  files = shared_files();
  files.client_ca = junk.string();
  ctx = tls_context::load(files);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().message().find("--tls-client-ca " + junk.string()), std::string::npos) << ctx.error().message();
}

TEST(tls_context, a_key_of_another_certificate_is_refused) {
  const auto& pki = test_pki::shared();
  auto ctx = tls_context::load({pki.server().cert.string(), pki.client().key.string(), std::nullopt});
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().message().find("--tls-key " + pki.client().key.string()), std::string::npos)
      << ctx.error().message();
  EXPECT_NE(ctx.error().message().find("mismatch"), std::string::npos) << ctx.error().message();
}

TEST(tls_context, reload_swaps_the_context_and_a_broken_file_keeps_the_old_one) {
  const auto& pki = test_pki::shared();
  test::temp_dir dir;
  const tls_files files{(dir / "server.pem").string(), (dir / "server.key").string(), std::nullopt};
  std::filesystem::copy_file(pki.server().cert, files.cert);
  std::filesystem::copy_file(pki.server().key, files.key);
  auto ctx = tls_context::load(files);
  ASSERT_TRUE(ctx) << ctx.error().message();
  const auto first = (*ctx)->current();

  const auto next = pki.make_server_cert("reloaded", "reloaded.localhost");
  std::filesystem::copy_file(next.cert, files.cert, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(next.key, files.key, std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE((*ctx)->reload());
  const auto second = (*ctx)->current();
  EXPECT_NE(second, first);
  EXPECT_EQ(served_common_name(*second), "reloaded.localhost");
  EXPECT_EQ(served_common_name(*first), "localhost");  // held by whoever still uses it

  std::ofstream(files.cert, std::ios::trunc) << "garbage\n";
  const status s = (*ctx)->reload();
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("--tls-cert " + files.cert), std::string::npos) << s.message();
  EXPECT_EQ((*ctx)->current(), second);
}

}  // namespace
}  // namespace livekv::net
