#include "support/kv_state.hpp"

#include <ostream>
#include <sstream>
#include <thread>

namespace livekv::test {
namespace {

// The API's page size ceiling: a bound on how many pages a listing may take.
constexpr std::size_t page_limit = 1000;
constexpr std::size_t max_pages = 100'000;
// Enough differences to see a pattern without flooding the log.
constexpr int max_differences_shown = 10;

std::optional<kv_item> item_from(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("create_revision") || !j.contains("mod_revision") || !j.contains("version"))
    return std::nullopt;
  kv_item item;
  if (j.contains("value") && j["value"].is_string()) {
    item.value = j["value"].get<std::string>();
  } else if (j.contains("value_base64") && j["value_base64"].is_string()) {
    item.value = j["value_base64"].get<std::string>();
    item.base64 = true;
  } else {
    return std::nullopt;
  }
  item.create_revision = j["create_revision"].get<std::uint64_t>();
  item.mod_revision = j["mod_revision"].get<std::uint64_t>();
  item.version = j["version"].get<std::uint64_t>();
  if (j.contains("expires_at_ms")) item.expires_at_ms = j["expires_at_ms"].get<std::int64_t>();
  return item;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const kv_item& item) {
  os << "{value" << (item.base64 ? "_base64" : "") << "='" << item.value.substr(0, 64)
     << (item.value.size() > 64 ? "...'" : "'") << " create=" << item.create_revision
     << " mod=" << item.mod_revision << " version=" << item.version;
  if (item.expires_at_ms) os << " expires_at_ms=" << *item.expires_at_ms;
  return os << "}";
}

kv_state read_state(http_client& client, std::string_view prefix) {
  kv_state state;
  std::optional<std::string> after;
  for (std::size_t page = 0; page < max_pages; ++page) {
    std::string target = "/v1/kv?values=true&limit=" + std::to_string(page_limit);
    if (!prefix.empty()) target += "&prefix=" + query_escape(prefix);
    if (after) target += "&start_after=" + query_escape(*after);
    const auto res = client.get(target);
    const auto j = res.json();
    if (res.status != 200 || !j.is_object() || !j.contains("items") || !j["items"].is_array()) {
      ADD_FAILURE() << "cannot list " << target << ":\n" << res;
      return state;
    }
    for (const auto& entry : j["items"]) {
      auto item = item_from(entry);
      if (!item || !entry.contains("key") || !entry["key"].is_string()) {
        ADD_FAILURE() << "malformed list item " << entry.dump();
        continue;
      }
      state.items.emplace(entry["key"].get<std::string>(), std::move(*item));
    }
    if (!j.contains("next") || j["next"].is_null()) break;
    after = j["next"].get<std::string>();
  }
  const auto status = status_json(client);
  if (status.is_object() && status.contains("revision")) state.revision = status["revision"].get<std::uint64_t>();
  return state;
}

testing::AssertionResult same_state(const kv_state& expected, const kv_state& actual) {
  std::ostringstream diff;
  int shown = 0;
  const auto note = [&](const std::string& line) {
    if (shown++ < max_differences_shown) diff << "  " << line << "\n";
  };
  if (expected.revision != actual.revision)
    note("revision: expected " + std::to_string(expected.revision) + ", got " + std::to_string(actual.revision));
  for (const auto& [key, item] : expected.items) {
    const auto it = actual.items.find(key);
    std::ostringstream line;
    if (it == actual.items.end())
      line << "missing '" << key << "' " << item;
    else if (!(it->second == item))
      line << "'" << key << "': expected " << item << ", got " << it->second;
    if (!line.str().empty()) note(line.str());
  }
  for (const auto& [key, item] : actual.items) {
    if (!expected.items.contains(key)) {
      std::ostringstream line;
      line << "unexpected '" << key << "' " << item;
      note(line.str());
    }
  }
  if (shown == 0) return testing::AssertionSuccess();
  return testing::AssertionFailure() << shown << " difference(s) between " << expected.items.size()
                                     << " expected and " << actual.items.size() << " actual keys:\n"
                                     << diff.str();
}

nlohmann::json status_json(http_client& client) {
  const auto res = client.get("/status");
  auto j = res.json();
  if (res.status != 200 || !j.is_object()) {
    ADD_FAILURE() << "GET /status:\n" << res;
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return j;
}

http_response post_json(http_client& client, std::string_view target, const nlohmann::json& body) {
  return client.request(verb::post, target, body.dump(), {{"Content-Type", "application/json"}});
}

bool poll_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

}  // namespace livekv::test
