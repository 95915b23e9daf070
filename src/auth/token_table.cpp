#include "livekv/auth/token_table.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "livekv/io/append_file.hpp"
#include "livekv/util/json_nesting.hpp"

namespace livekv::auth {

principal::principal(std::string name, sha256_digest hash, std::uint8_t roles, std::vector<std::string> prefixes)
    : name_(std::move(name)), hash_(hash), roles_(roles), prefixes_(std::move(prefixes)) {
  if (prefixes_.empty()) prefixes_.emplace_back();
}

bool principal::covers(std::string_view key) const noexcept {
  return std::any_of(prefixes_.begin(), prefixes_.end(), [&](const std::string& p) { return key.starts_with(p); });
}

bool principal::unrestricted() const noexcept {
  return std::any_of(prefixes_.begin(), prefixes_.end(), [](const std::string& p) { return p.empty(); });
}

listing_scope principal::scope_of(std::string_view listing_prefix) const noexcept {
  if (covers(listing_prefix)) return listing_scope::all;
  const bool some = std::any_of(prefixes_.begin(), prefixes_.end(),
                                [&](const std::string& p) { return std::string_view(p).starts_with(listing_prefix); });
  return some ? listing_scope::partial : listing_scope::none;
}

namespace {

using json = nlohmann::json;

std::size_t line_of(std::string_view text, std::size_t byte) {
  byte = std::min(byte, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(byte), '\n'));
}

status entry_error(std::string_view source, std::size_t index, const json& e, const std::string& what) {
  std::string who = "entry " + std::to_string(index + 1);
  if (e.is_object() && e.contains("name") && e["name"].is_string()) who += " (\"" + e["name"].get<std::string>() + "\")";
  return {errc::bad_request, std::string(source) + ": " + who + ": " + what};
}

result<std::uint8_t> parse_roles(const json& roles) {
  if (!roles.is_array() || roles.empty()) return status(errc::bad_request, "roles must be a non-empty array");
  std::uint8_t out = 0;
  for (const auto& r : roles) {
    if (r == "read") out |= static_cast<std::uint8_t>(role::read);
    else if (r == "write") out |= static_cast<std::uint8_t>(role::write);
    else if (r == "admin") out |= static_cast<std::uint8_t>(role::admin);
    else return status(errc::bad_request, "unknown role " + r.dump() + " (read, write or admin)");
  }
  return out;
}

}  // namespace

result<token_table> token_table::parse(std::string_view text, std::string_view source) {
  if (util::json_nesting_exceeds(text))
    return status(errc::bad_request, std::string(source) + ": nests deeper than " + std::to_string(util::max_json_depth) + " levels");
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {  // the one place its position is available
    return status(errc::bad_request, std::string(source) + ":" + std::to_string(line_of(text, e.byte)) +
                                         ": not valid JSON (" + e.what() + ")");
  } catch (const json::exception& e) {
    // The parser reports a number too large for a double ("1e999") as out_of_range, not as a
    // parse_error, and without its position.
    return status(errc::bad_request, std::string(source) + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_array()) return status(errc::bad_request, std::string(source) + ": must be a JSON array of entries");
  token_table t;
  std::set<std::string> names;
  std::set<std::string> hashes;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const json& e = doc[i];
    if (!e.is_object()) return entry_error(source, i, e, "must be an object");
    for (const auto& [k, v] : e.items())
      if (k != "name" && k != "token_sha256" && k != "roles" && k != "prefixes")
        return entry_error(source, i, e, "unknown member '" + k + "'");
    if (!e.contains("name") || !e["name"].is_string() || e["name"].get<std::string>().empty())
      return entry_error(source, i, e, "name must be a non-empty string");
    const std::string name = e["name"].get<std::string>();
    if (!names.insert(name).second) return entry_error(source, i, e, "the name is used by an earlier entry");
    if (!e.contains("token_sha256") || !e["token_sha256"].is_string())
      return entry_error(source, i, e, "token_sha256 must be the token's SHA-256 as 64 hex digits");
    const auto hash = digest_from_hex(e["token_sha256"].get<std::string>());
    if (!hash) return entry_error(source, i, e, "token_sha256 must be the token's SHA-256 as 64 hex digits");
    if (!hashes.insert(to_hex(*hash)).second) return entry_error(source, i, e, "the token is used by an earlier entry");
    if (!e.contains("roles")) return entry_error(source, i, e, "roles is missing");
    auto roles = parse_roles(e["roles"]);
    if (!roles) return entry_error(source, i, e, roles.error().message());
    std::vector<std::string> prefixes;
    if (e.contains("prefixes")) {
      if (!e["prefixes"].is_array() || e["prefixes"].empty())
        return entry_error(source, i, e, "prefixes must be a non-empty array of strings (omit it for every key)");
      for (const auto& p : e["prefixes"]) {
        if (!p.is_string()) return entry_error(source, i, e, "prefixes must be strings");
        prefixes.push_back(p.get<std::string>());
      }
    }
    t.entries_.emplace_back(name, *hash, *roles, std::move(prefixes));
  }
  return t;
}

result<token_table> token_table::load(const std::string& path) {
  auto text = io::read_whole_file(path);
  if (!text) return status(errc::bad_request, path + ": " + text.error().message());
  return parse(*text, path);
}

const principal* token_table::authenticate(std::string_view token) const { return find(sha256(token)); }

const principal* token_table::find(const sha256_digest& h) const {
  const principal* found = nullptr;
  // No early exit: every entry is compared, so the time does not tell which one matched.
  for (const auto& p : entries_)
    if (same_digest(p.hash(), h)) found = &p;
  return found;
}

}  // namespace livekv::auth
