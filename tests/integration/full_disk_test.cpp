// A disk that fills up under writes, for real: the data directory lives on a small tmpfs that the
// test mounts, and a ballast file on it is deleted to give the space back.
//  - Under --fsync always a write becomes visible (GET, listing, feed) only once durable: the write
//    that met the full disk, answered 503 "outcome unknown", is never seen while the disk is full.
//  - While the log is failed /readyz is 503 read_only and livekv_ready is 0; a snapshot is 503/507,
//    never 500.
//  - Once space is freed, writes resume by themselves, and what the server served is what it
//    recovers after a restart.
//  - SIGTERM while the log is still failed exits 1, as docs/operations.md says.
// Mounting needs root (CAP_SYS_ADMIN); elsewhere the tests are skipped and say why.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "support/kv_state.hpp"
#include "support/metrics_text.hpp"
#include "support/server_fixture.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::size_t ballast_bytes = 256 * 1024;
constexpr std::size_t value_bytes = 16 * 1024;
constexpr int max_writes = 200;  // the 1 MiB file system is full long before

class full_disk_test : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    mnt_ = dir_ / "mnt";
    fs::create_directories(mnt_);
    if (::mount("tmpfs", mnt_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0700") != 0)
      GTEST_SKIP() << "cannot mount a 1 MiB tmpfs for the data directory (" << std::strerror(errno)
                   << "): these tests need root";
    mounted_ = true;
    std::ofstream(mnt_ / "ballast", std::ios::binary) << std::string(ballast_bytes, 'b');
    ASSERT_EQ(fs::file_size(mnt_ / "ballast"), ballast_bytes) << "the tmpfs is smaller than asked";
    server_.emplace(std::vector<std::string>{"--data-dir", (mnt_ / "data").string(), "--fsync", GetParam(),
                                             "--snapshot-log-bytes", "64MiB"});
    ASSERT_TRUE(server_->start());
    client_.emplace(server_->port());
  }
  void TearDown() override {
    client_.reset();
    server_.reset();  // kills the server if a test left it running
    if (mounted_) ::umount2(mnt_.c_str(), MNT_DETACH);
  }

  bool always() const { return std::string(GetParam()) == "always"; }
  std::string metrics() { return client_->get("/metrics").body; }

  // Writes 16 KiB values until one is refused. Returns the keys acknowledged; `refused` gets the
  // key and answer of the first write that was not.
  std::set<std::string> fill(std::string& refused, http_response& answer) {
    std::set<std::string> acked;
    for (int i = 0; i < max_writes; ++i) {
      const std::string key = "k" + std::to_string(i);
      auto res = client_->put("/v1/kv/" + key, std::string(value_bytes, static_cast<char>('a' + i % 26)));
      if (res.status != 201) {
        refused = key;
        answer = std::move(res);
        return acked;
      }
      acked.insert(key);
    }
    ADD_FAILURE() << "the disk never filled";
    return acked;
  }

  std::set<std::string> listed_keys() {
    std::set<std::string> keys;
    const auto res = client_->get("/v1/kv?prefix=k&limit=1000");
    EXPECT_EQ(res.status, 200) << res;
    const json page = res.json();
    for (const auto& item : page["items"]) keys.insert(item["key"].get<std::string>());
    return keys;
  }

  temp_dir dir_;
  fs::path mnt_;
  bool mounted_ = false;
  std::optional<server_process> server_;
  std::optional<http_client> client_;
};

TEST_P(full_disk_test, a_write_the_full_disk_refused_is_never_seen_and_writes_resume_when_space_is_freed) {
  ws_client feed(server_->port());
  ASSERT_EQ(feed.connect("/wal").status, 101);

  std::string refused;
  http_response answer;
  const auto acked = fill(refused, answer);
  ASSERT_FALSE(refused.empty());
  ASSERT_TRUE(is_problem(answer, 503, "read_only")) << answer;
  EXPECT_NE(answer.json()["detail"].get<std::string>().find("outcome is unknown"), std::string::npos) << answer.body;
  ASSERT_GT(acked.size(), 10u);

  // Every acknowledged write is there.
  for (const auto& k : acked) ASSERT_EQ(client_->get("/v1/kv/" + k).status, 200) << k;
  std::set<std::string> fed;
  while (auto e = feed.read_event(std::chrono::milliseconds(500)))
    if ((*e)["op"] == "put") fed.insert((*e)["key"].get<std::string>());
  feed.close();
  if (always()) {
    // The refused write was applied nowhere a reader can see: not by key, not in a listing, not
    // in the feed (whose events are exactly the acknowledged writes).
    EXPECT_EQ(client_->get("/v1/kv/" + refused).status, 404);
    EXPECT_EQ(listed_keys(), acked);
    EXPECT_EQ(fed, acked);
  } else {
    // Under everysec a write is visible once applied, before its write(2): readers may have seen
    // the refused one (docs/storage.md says so); every acknowledged one was fed.
    for (const auto& k : acked) EXPECT_TRUE(fed.count(k)) << k;
  }
  // Later writes are refused at once; reads keep working.
  EXPECT_TRUE(is_problem(client_->put("/v1/kv/later", "x"), 503, "read_only"));

  // The degraded state is reported.
  EXPECT_TRUE(is_problem(client_->get("/readyz"), 503, "read_only"));
  const auto m = metrics();
  EXPECT_EQ(sample(m, "livekv_ready"), 0.0);
  EXPECT_EQ(sample(m, "livekv_log_failed"), 1.0);
  const auto snap = client_->request(verb::post, "/v1/admin/snapshot");
  EXPECT_TRUE(snap.status == 503 || snap.status == 507) << snap;
  EXPECT_NE(snap.json().value("code", ""), "internal") << snap;

  // Space comes back: writes resume by themselves (the log retries once a second).
  fs::remove(mnt_ / "ballast");
  http_response resumed;
  EXPECT_TRUE(poll_until([&] { return (resumed = client_->put("/v1/kv/after", "space")).status == 201; },
                         std::chrono::seconds(20), std::chrono::milliseconds(100)))
      << resumed;
  EXPECT_EQ(client_->get("/readyz").status, 200);
  EXPECT_EQ(sample(metrics(), "livekv_log_resumes_total"), 1.0);
  EXPECT_EQ(sample(metrics(), "livekv_ready"), 1.0);

  // What the server serves now is what the disk holds: a restart recovers exactly it.
  const auto before = read_state(*client_);
  EXPECT_TRUE(before.items.count("after"));
  client_.reset();
  ASSERT_TRUE(server_->terminate().exited_with(0));
  ASSERT_TRUE(server_->start());
  client_.emplace(server_->port());
  EXPECT_TRUE(same_state(before, read_state(*client_)));
  ASSERT_TRUE(server_->terminate().exited_with(0));
}

TEST_P(full_disk_test, sigterm_while_the_log_is_failed_exits_1_and_loses_no_acknowledged_write) {
  std::string refused;
  http_response answer;
  const auto acked = fill(refused, answer);
  ASSERT_FALSE(refused.empty());
  client_.reset();
  const auto exit = server_->terminate();
  EXPECT_TRUE(exit.exited_with(1)) << exit;
  // Free the space so the server can open a new log segment, then check every acknowledged write.
  fs::remove(mnt_ / "ballast");
  ASSERT_TRUE(server_->start());
  client_.emplace(server_->port());
  for (const auto& k : acked) EXPECT_EQ(client_->get("/v1/kv/" + k).status, 200) << k;
  ASSERT_TRUE(server_->terminate().exited_with(0));
}

INSTANTIATE_TEST_SUITE_P(policies, full_disk_test, ::testing::Values("always", "everysec"),
                         [](const auto& p) { return std::string(p.param); });

}  // namespace
}  // namespace livekv::test
