#include "support/feed_events.hpp"

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <regex>

#include "support/kv_state.hpp"

namespace livekv::test {

using nlohmann::json;

namespace {

testing::AssertionResult fail(const json& event, const std::string& why) {
  return testing::AssertionFailure() << why << " in event " << event.dump();
}

bool has(const json& j, const char* member, json::value_t type) {
  if (!j.contains(member)) return false;
  const auto t = j[member].type();
  if (type == json::value_t::number_unsigned) return t == json::value_t::number_unsigned;
  if (type == json::value_t::number_integer) return t == json::value_t::number_unsigned || t == json::value_t::number_integer;
  return t == type;
}

// Exactly one representation of a value: "value" (text), "value_base64" (binary), or
// "truncated": true (too large for the feed); "size" always.
std::string value_problem(const json& j) {
  if (!has(j, "size", json::value_t::number_unsigned)) return "no unsigned 'size'";
  const int forms = (j.contains("value") ? 1 : 0) + (j.contains("value_base64") ? 1 : 0) + (j.contains("truncated") ? 1 : 0);
  if (forms != 1) return "not exactly one of value, value_base64, truncated";
  if (j.contains("value") && !j["value"].is_string()) return "'value' is not a string";
  if (j.contains("value_base64") && !j["value_base64"].is_string()) return "'value_base64' is not a string";
  if (j.contains("truncated") && j["truncated"] != true) return "'truncated' is not true";
  if (j.contains("value") && j["value"].get<std::string>().size() != j["size"].get<std::size_t>())
    return "'size' is not the length of 'value'";
  return {};
}

std::string prev_problem(const json& j) {
  if (!j.contains("prev")) return {};
  const json& prev = j["prev"];
  if (!prev.is_object()) return "'prev' is not an object";
  if (!has(prev, "mod_rev", json::value_t::number_unsigned)) return "'prev' has no unsigned 'mod_rev'";
  if (const auto p = value_problem(prev); !p.empty()) return "'prev': " + p;
  return {};
}

}  // namespace

bool is_write_op(std::string_view op) {
  return op == "put" || op == "cas" || op == "delete" || op == "expire" || op == "batch";
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

testing::AssertionResult is_well_formed_event(const json& e) {
  if (!e.is_object()) return fail(e, "not a JSON object");
  if (!has(e, "op", json::value_t::string)) return fail(e, "no string 'op'");
  const std::string op = e["op"];
  const auto need = [&](std::initializer_list<std::pair<const char*, json::value_t>> members) -> std::string {
    for (const auto& [name, type] : members)
      if (!has(e, name, type)) return std::string("no '") + name + "' of the right type";
    return {};
  };
  std::string problem;
  if (is_write_op(op)) {
    problem = need({{"rev", json::value_t::number_unsigned}, {"ts", json::value_t::number_integer}});
    if (problem.empty() && e["rev"] == 0) problem = "rev 0";
  }
  if (problem.empty()) {
    if (op == "put" || op == "cas") {
      problem = need({{"key", json::value_t::string}, {"version", json::value_t::number_unsigned}});
      if (problem.empty()) problem = value_problem(e);
      if (problem.empty() && e.contains("expires_at") && !has(e, "expires_at", json::value_t::number_integer))
        problem = "'expires_at' is not an integer";
      if (problem.empty()) problem = prev_problem(e);
    } else if (op == "delete") {
      problem = need({{"key", json::value_t::string}});
      if (problem.empty() && (e.contains("value") || e.contains("value_base64") || e.contains("size")))
        problem = "a delete with value members";
      if (problem.empty()) problem = prev_problem(e);
    } else if (op == "expire") {
      problem = need({{"key", json::value_t::string}, {"prev", json::value_t::object}});
      if (problem.empty()) problem = prev_problem(e);
    } else if (op == "batch") {
      problem = need({{"ops", json::value_t::array}});
      for (std::size_t i = 0; problem.empty() && i < e["ops"].size(); ++i) {
        const json& o = e["ops"][i];
        const std::string at = "ops[" + std::to_string(i) + "]: ";
        if (!o.is_object() || !has(o, "op", json::value_t::string) || !has(o, "key", json::value_t::string)) {
          problem = at + "no string op and key";
        } else if (o["op"] == "put") {
          if (!has(o, "version", json::value_t::number_unsigned)) problem = at + "no unsigned 'version'";
          else if (const auto p = value_problem(o); !p.empty()) problem = at + p;
        } else if (o["op"] != "delete") {
          problem = at + "an op that is not a write: " + o["op"].get<std::string>();
        }
        if (problem.empty()) {
          if (const auto p = prev_problem(o); !p.empty()) problem = at + p;
        }
      }
    } else if (op == "get" || op == "list") {
      problem = op == "get" ? need({{"key", json::value_t::string}, {"found", json::value_t::boolean}})
                            : need({{"prefix", json::value_t::string}, {"count", json::value_t::number_unsigned}});
      if (problem.empty()) problem = need({{"ts", json::value_t::number_integer}, {"client", json::value_t::string}});
      if (problem.empty() && e.contains("rev")) problem = "a read event with a 'rev'";
      static const std::regex client_re(R"(127\.0\.0\.1:[0-9]{1,5})");
      if (problem.empty() && !std::regex_match(e["client"].get<std::string>(), client_re))
        problem = "'client' is not the loopback address and port";
    } else if (op == "progress" || op == "pong") {
      problem = need({{"rev", json::value_t::number_unsigned}});
    } else if (op == "overflow") {
      problem = need({{"last_rev", json::value_t::number_unsigned}});
    } else if (op == "error") {
      problem = need({{"detail", json::value_t::string}});
    } else {
      problem = "unknown op";
    }
  }
  return problem.empty() ? testing::AssertionSuccess() : fail(e, problem);
}

testing::AssertionResult feed_order::add(const json& e) {
  if (!e.is_object() || !e.contains("op")) return testing::AssertionSuccess();
  const std::string op = e.value("op", "");
  if (op == "progress" && has(e, "rev", json::value_t::number_unsigned)) {
    progress_ = std::max(progress_, e["rev"].get<std::uint64_t>());
    return testing::AssertionSuccess();
  }
  if (!is_write_op(op) || !has(e, "rev", json::value_t::number_unsigned)) return testing::AssertionSuccess();
  const auto rev = e["rev"].get<std::uint64_t>();
  if (rev <= last_rev_)
    return fail(e, "rev " + std::to_string(rev) + " after rev " + std::to_string(last_rev_) + " (not increasing)");
  if (rev <= progress_)
    return fail(e, "rev " + std::to_string(rev) + " after the progress bookmark " + std::to_string(progress_));
  last_rev_ = rev;
  return testing::AssertionSuccess();
}

namespace {

std::uint64_t revision_of(const http_response& res, std::initializer_list<int> ok, std::string_view what) {
  const bool accepted = std::find(ok.begin(), ok.end(), res.status) != ok.end();
  const auto j = res.json();
  if (!accepted || !j.is_object() || !j.contains("revision") || !j["revision"].is_number_unsigned()) {
    ADD_FAILURE() << what << " was not accepted:\n" << res;
    return 0;
  }
  return j["revision"].get<std::uint64_t>();
}

}  // namespace

std::uint64_t put_key(http_client& client, std::string_view key, std::string value, std::string_view query) {
  const auto res = client.put(kv_path(key) + std::string(query), std::move(value));
  return revision_of(res, {200, 201}, "PUT " + std::string(key));
}

std::uint64_t delete_key(http_client& client, std::string_view key) {
  return revision_of(client.del(kv_path(key)), {200}, "DELETE " + std::string(key));
}

std::uint64_t cas_key(http_client& client, std::string_view key, const json& body) {
  const auto res = post_json(client, "/v1/cas/" + kv_path(key).substr(std::string_view("/v1/kv/").size()), body);
  return revision_of(res, {200}, "CAS " + std::string(key));
}

std::uint64_t batch_write(http_client& client, const json& body) {
  return revision_of(post_json(client, "/v1/batch", body), {200}, "batch " + body.dump());
}

}  // namespace livekv::test
