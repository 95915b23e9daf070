#pragma once
// Bearer tokens and --auth-file contents for the security tests. Tokens are minted by the real
// binary (`livekv --hash-token`, which prints a token and its SHA-256), so the tests hash nothing
// themselves and exercise the same path an operator uses.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

namespace livekv::test {

struct minted_token {
  std::string token;       // what a client sends
  std::string sha256_hex;  // what the auth file holds
};

// The token called `name`: minted on first use, then the same for the rest of the test process.
// Thread-safe. A failure to mint is a fatal error of the test (an empty token is returned).
const minted_token& token_named(const std::string& name);

// One entry of an auth file; the token is token_named(name).
struct token_entry {
  std::string name;
  std::vector<std::string> roles;                 // "read", "write", "admin"
  std::vector<std::string> prefixes = {""};       // "" covers every key
};

// The file's JSON text for `entries`.
std::string auth_file_json(const std::vector<token_entry>& entries);

// `Authorization: Bearer <token_named(name)>`, as a header list for a request.
header_list bearer(const std::string& name);

// An auth file in a directory of its own. Meant as a base class listed before server_test, so that
// the file exists when the server's arguments name it.
class auth_file {
 public:
  explicit auth_file(const std::vector<token_entry>& entries);
  const std::filesystem::path& auth_path() const noexcept { return path_; }
  // Replaces the file's content in one rename, so a reload never reads half a file.
  void rewrite(const std::vector<token_entry>& entries) const;
  void rewrite_text(std::string_view text) const;

 private:
  temp_dir dir_;
  std::filesystem::path path_;
};

}  // namespace livekv::test
