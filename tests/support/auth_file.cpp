#include "support/auth_file.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <mutex>

#include "support/server_process.hpp"

namespace livekv::test {

namespace {

minted_token mint() {
  const auto r = run_livekv({"--hash-token"});
  minted_token t;
  // token: <t>\nentry: {"name": "NAME", "token_sha256": "<hex>", ...}
  if (!r.status.exited_with(0) || !r.out.starts_with("token: ")) {
    ADD_FAILURE() << "livekv --hash-token failed: " << r.status << "\n" << r.out << r.err;
    return t;
  }
  t.token = r.out.substr(7, r.out.find('\n') - 7);
  const auto entry = nlohmann::json::parse(r.out.substr(r.out.find("entry: ") + 7), nullptr, false);
  if (!entry.is_object() || !entry.contains("token_sha256")) {
    ADD_FAILURE() << "no entry in the output of livekv --hash-token:\n" << r.out;
    return t;
  }
  t.sha256_hex = entry["token_sha256"].get<std::string>();
  return t;
}

}  // namespace

const minted_token& token_named(const std::string& name) {
  static std::mutex mutex;  // guards tokens
  static std::map<std::string, minted_token> tokens;
  std::lock_guard lock(mutex);
  auto it = tokens.find(name);
  if (it == tokens.end()) it = tokens.emplace(name, mint()).first;
  return it->second;
}

std::string auth_file_json(const std::vector<token_entry>& entries) {
  nlohmann::json file = nlohmann::json::array();
  for (const auto& e : entries)
    file.push_back({{"name", e.name},
                    {"token_sha256", token_named(e.name).sha256_hex},
                    {"roles", e.roles},
                    {"prefixes", e.prefixes}});
  return file.dump(2) + "\n";
}

header_list bearer(const std::string& name) { return {{"Authorization", "Bearer " + token_named(name).token}}; }

auth_file::auth_file(const std::vector<token_entry>& entries) : path_(dir_ / "auth.json") { rewrite(entries); }

void auth_file::rewrite(const std::vector<token_entry>& entries) const { rewrite_text(auth_file_json(entries)); }

void auth_file::rewrite_text(std::string_view text) const {
  const auto tmp = dir_ / "auth.json.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) ADD_FAILURE() << "cannot write " << tmp;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path_, ec);
  if (ec) ADD_FAILURE() << "cannot rename " << tmp << " to " << path_ << ": " << ec.message();
}

}  // namespace livekv::test
