// Many clients writing and reading at once, each on its own keep-alive connection. The store's one
// commit path must hand out every revision exactly once, with no gaps, and the last revision
// written to a key must be the value that key ends up with.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <latch>
#include <map>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

// Small enough for a TSan build on two cores, large enough that writers really interleave.
constexpr int client_threads = 8;
constexpr int ops_per_thread = 200;
constexpr int shared_keys = 4;

struct write_record {
  std::string key;
  std::string value;
  std::uint64_t revision = 0;
  bool created = false;
};

// What one client thread did; written by that thread only, read after join().
struct client_log {
  std::vector<write_record> writes;
  std::vector<std::string> failures;
};

std::string shared_key(int n) { return "shared/" + std::to_string(n); }
std::string own_key(int thread) { return "own/" + std::to_string(thread); }

// Every 5th operation reads; the others write, alternating between a shared key (contended by all
// threads) and the thread's own key (which lets it check that it reads its own last write).
void run_client(std::uint16_t port, int thread, std::latch& start, client_log& log) {
  http_client client(port);
  if (client.get("/healthz").status != 200) log.failures.push_back("cannot reach the server");
  start.arrive_and_wait();  // all connections open: now everyone goes at once
  const std::string own = own_key(thread);
  std::string last_own_value;
  for (int i = 0; i < ops_per_thread; ++i) {
    if (i % 5 == 4) {
      const auto mine = client.get(kv_path(own));
      const int expected_status = last_own_value.empty() ? 404 : 200;
      if (mine.status != expected_status || (expected_status == 200 && mine.body != last_own_value))
        log.failures.push_back("read of own key: expected '" + last_own_value + "', got\n" + mine.describe());
      const auto shared = client.get(kv_path(shared_key(i % shared_keys)));
      if (shared.status != 200 && shared.status != 404)
        log.failures.push_back("read of a shared key:\n" + shared.describe());
      continue;
    }
    const std::string key = i % 2 == 0 ? shared_key((thread + i) % shared_keys) : own;
    const std::string value = "t" + std::to_string(thread) + "-op" + std::to_string(i);
    const auto res = client.put(kv_path(key), value);
    const auto j = res.json();
    if ((res.status != 200 && res.status != 201) || !j.is_object() || !j["revision"].is_number_unsigned() ||
        j["created"] != (res.status == 201)) {
      log.failures.push_back("PUT " + key + ":\n" + res.describe());
      continue;
    }
    log.writes.push_back({key, value, j["revision"].get<std::uint64_t>(), res.status == 201});
    if (key == own) last_own_value = value;
  }
}

class concurrency_test : public server_test {};

TEST_F(concurrency_test, concurrent_writers_get_unique_gapless_revisions_and_the_last_write_wins) {
  std::vector<client_log> logs(client_threads);
  {
    std::latch start(client_threads);
    std::vector<std::jthread> threads;
    for (int t = 0; t < client_threads; ++t)
      threads.emplace_back(run_client, server_.port(), t, std::ref(start), std::ref(logs[t]));
  }  // jthreads join here

  std::vector<write_record> writes;
  for (const auto& log : logs) {
    for (const auto& f : log.failures) ADD_FAILURE() << f;
    writes.insert(writes.end(), log.writes.begin(), log.writes.end());
  }
  ASSERT_FALSE(HasFailure());
  const std::uint64_t total = writes.size();
  ASSERT_EQ(total, static_cast<std::uint64_t>(client_threads * ops_per_thread * 4 / 5));

  // Revisions are exactly 1..total: unique, and none skipped.
  std::vector<std::uint64_t> revisions;
  for (const auto& w : writes) revisions.push_back(w.revision);
  std::sort(revisions.begin(), revisions.end());
  std::vector<std::uint64_t> expected(total);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(revisions, expected);

  // Per key, in revision order: the first write created it, the last one is what it holds.
  std::map<std::string, std::vector<const write_record*>> by_key;
  for (const auto& w : writes) by_key[w.key].push_back(&w);
  for (auto& [key, list] : by_key) {
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->revision < b->revision; });
    for (std::size_t i = 0; i < list.size(); ++i)
      EXPECT_EQ(list[i]->created, i == 0) << key << " at revision " << list[i]->revision;
    const auto res = client().get(kv_path(key));
    ASSERT_EQ(res.status, 200) << key << "\n" << res;
    EXPECT_EQ(res.body, list.back()->value) << key;
    EXPECT_EQ(res.header("KV-Mod-Revision"), std::to_string(list.back()->revision)) << key;
    EXPECT_EQ(res.header("KV-Create-Revision"), std::to_string(list.front()->revision)) << key;
    EXPECT_EQ(res.header("KV-Version"), std::to_string(list.size())) << key;
  }
  EXPECT_EQ(by_key.size(), static_cast<std::size_t>(shared_keys + client_threads));

  const auto status = client().get("/status");
  EXPECT_EQ(status.json()["revision"], total) << status;
  EXPECT_EQ(status.json()["keys"], by_key.size()) << status;
  EXPECT_EQ(status.header("KV-Revision"), std::to_string(total));

  // The list at the final revision agrees with the per-key reads.
  const auto page = client().get("/v1/kv?values=true&limit=1000").json();
  ASSERT_EQ(page["items"].size(), by_key.size());
  for (const auto& item : page["items"]) {
    const auto& list = by_key.at(item["key"].get<std::string>());
    EXPECT_EQ(item["value"], list.back()->value);
    EXPECT_EQ(item["version"], list.size());
  }
}

}  // namespace
}  // namespace livekv::test
