// Durability over restarts and crashes of the real binary on one data directory: what was
// acknowledged survives (a SIGTERM with --fsync everysec, a kill -9 with --fsync always), snapshots
// taken during writes and by the log-size trigger restore the same state and compact the log,
// damage in the middle of the log stops startup unless --repair, a missing snapshot stops it unless
// --discard-data, neither ever hands a revision out twice, a torn tail is cut with a warning, and
// --in-memory leaves nothing behind.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/kv_state.hpp"
#include "support/server_fixture.hpp"
#include "support/server_process.hpp"

namespace livekv::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;

// Bounds for waiting on background work (a snapshot, writers reaching a count); only a server
// that never gets there waits them out.
constexpr milliseconds background_deadline{30'000};

std::vector<fs::path> files_named(const fs::path& dir, std::string_view prefix, std::string_view suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(suffix)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());  // 20-digit names: lexical order is revision order
  return out;
}
std::vector<fs::path> log_segments(const fs::path& dir) { return files_named(dir, "wal-", ".log"); }
std::vector<fs::path> snapshot_files(const fs::path& dir) { return files_named(dir, "snapshot-", ".snap"); }

std::string twenty_digits(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(n));
  return buf;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The revision of a 2xx write answer; 0 when there is none.
std::uint64_t revision_of(const http_response& res) {
  auto j = res.json();
  return (res.status == 200 || res.status == 201) && j.is_object() && j["revision"].is_number_unsigned()
             ? j["revision"].get<std::uint64_t>()
             : 0;
}

// PUTs `count` keys prefix0.. with `value_bytes`-byte values that name their key.
void put_keys(http_client& client, const std::string& prefix, int count, std::size_t value_bytes) {
  for (int i = 0; i < count; ++i) {
    const std::string key = prefix + std::to_string(i);
    std::string value = key + ":";
    value.resize(std::max(value_bytes, value.size()), static_cast<char>('a' + i % 26));
    const auto res = client.put(kv_path(key), value);
    ASSERT_TRUE(res.status == 200 || res.status == 201) << key << "\n" << res;
  }
}

std::uint64_t storage_number(const json& status, const json::json_pointer& where) {
  return status.is_object() && status.contains(where) && status[where].is_number_unsigned()
             ? status[where].get<std::uint64_t>()
             : 0;
}

// Everything a crash round needs to know about the writes of all rounds so far.
struct write_history {
  std::map<std::string, std::string> attempted;  // key → the one value ever sent for it
  struct ack {
    std::string value;
    std::uint64_t revision = 0;
  };
  std::map<std::string, ack> acknowledged;  // key → value and revision of its 2xx answer
};

// What one crash-test writer did; its own thread writes it, the test reads it after join().
struct crash_writer_log {
  std::vector<std::pair<std::string, std::string>> attempted;
  std::vector<std::pair<std::string, write_history::ack>> acknowledged;
  std::vector<std::string> failures;
};

// Progress the writers report to the test thread, which waits for a number of acknowledgements.
struct progress {
  std::mutex mutex;  // guards acked and finished
  std::condition_variable changed;
  int acked = 0;
  int finished = 0;
  std::atomic<bool> killed{false};  // set just before kill -9: transport errors after it are expected

  void add_ack() {
    {
      std::lock_guard lock(mutex);
      ++acked;
    }
    changed.notify_all();
  }
  void finish() {
    {
      std::lock_guard lock(mutex);
      ++finished;
    }
    changed.notify_all();
  }
  // Waits (bounded) until `target` writes are acknowledged or `writers` writers have stopped.
  bool wait_for(int target, int writers) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, background_deadline, [&] { return acked >= target || finished == writers; }) &&
           acked >= target;
  }
};

constexpr int crash_writers = 8;
constexpr int crash_rounds = 3;
constexpr int max_writes_per_crash_writer = 200;  // 8 x 200 is well above the largest kill point
constexpr int min_acks_before_kill = 50;
constexpr int max_acks_before_kill = 400;

void crash_writer(std::uint16_t port, int round, int writer, std::latch& start, progress& p, crash_writer_log& log) {
  http_client client(port);
  start.arrive_and_wait();
  for (int i = 0; i < max_writes_per_crash_writer; ++i) {
    const std::string key = "crash/r" + std::to_string(round) + "/w" + std::to_string(writer) + "/" + std::to_string(i);
    std::string value = "r" + std::to_string(round) + "w" + std::to_string(writer) + "i" + std::to_string(i) + ":";
    value.append(48, static_cast<char>('a' + (i + writer) % 26));
    log.attempted.emplace_back(key, value);
    const auto res = client.put(kv_path(key), value);
    if (res.status == 201 && revision_of(res) != 0) {
      log.acknowledged.emplace_back(key, write_history::ack{value, revision_of(res)});
      p.add_ack();
      continue;
    }
    if (res.status != 0 || !p.killed) log.failures.push_back("PUT " + key + ":\n" + res.describe());
    break;  // the server is gone (or misbehaved): this writer is done
  }
  p.finish();
}

// Checks the recovered store against everything written in all rounds so far.
void expect_recovered(http_client& client, const write_history& history, unsigned seed) {
  const kv_state state = read_state(client, "crash/");
  std::uint64_t highest = 0;
  std::set<std::uint64_t> revisions;
  int lost = 0;
  for (const auto& [key, ack] : history.acknowledged) {
    highest = std::max(highest, ack.revision);
    EXPECT_TRUE(revisions.insert(ack.revision).second) << "revision " << ack.revision << " acknowledged twice";
    const auto it = state.items.find(key);
    if (it == state.items.end()) {
      if (++lost <= 10) ADD_FAILURE() << "acknowledged write lost: " << key << " at revision " << ack.revision;
      continue;
    }
    EXPECT_EQ(it->second.value, ack.value) << key;
    EXPECT_EQ(it->second.mod_revision, ack.revision) << key;
    EXPECT_EQ(it->second.create_revision, ack.revision) << key;
    EXPECT_EQ(it->second.version, 1u) << key;
  }
  EXPECT_EQ(lost, 0) << "of " << history.acknowledged.size() << " acknowledged writes (seed " << seed << ")";
  EXPECT_GE(state.revision, highest) << "the store revision is behind an acknowledged write";
  int invented = 0;
  for (const auto& [key, item] : state.items) {
    const auto sent = history.attempted.find(key);
    if (sent == history.attempted.end() || sent->second != item.value || item.base64) {
      if (++invented <= 10) ADD_FAILURE() << "never written: '" << key << "' = " << item;
    }
  }
  EXPECT_EQ(invented, 0);
}

TEST(durability_test, a_sigterm_restart_with_fsync_everysec_keeps_every_key_value_and_revision) {
  server_process server({"--fsync", "everysec"});
  ASSERT_TRUE(server.start());
  {
    http_client client(server.port());
    ASSERT_NO_FATAL_FAILURE(put_keys(client, "k/", 100, 32));
    ASSERT_NO_FATAL_FAILURE(put_keys(client, "k/", 20, 64));  // overwrites: versions and mod revisions move on
    for (int i = 20; i < 30; ++i) ASSERT_EQ(client.del(kv_path("k/" + std::to_string(i))).status, 200);
    ASSERT_EQ(client.put("/v1/kv/typed", "<p>", {{"Content-Type", "text/html"}}).status, 201);
    ASSERT_EQ(client.put("/v1/kv/binary", std::string("\x00\xff\x01", 3)).status, 201);
    ASSERT_EQ(client.put("/v1/kv/later?ttl=3600", "expires in an hour").status, 201);
    ASSERT_EQ(post_json(client, "/v1/cas/k/0", {{"expected", "k/0:" + std::string(60, 'a')}, {"new", "swapped"}}).status,
              200);
    ASSERT_EQ(post_json(client, "/v1/batch",
                        {{"ops",
                          {{{"op", "put"}, {"key", "b/1"}, {"value", "one"}},
                           {{"op", "put"}, {"key", "b/2"}, {"value", "two"}},
                           {{"op", "delete"}, {"key", "k/99"}}}}})
                  .status,
              200);
    const kv_state before = read_state(client);
    ASSERT_EQ(before.items.size(), 100u - 10 - 1 + 5);
    const auto storage = status_json(client)["storage"];
    EXPECT_EQ(storage["fsync"], "everysec") << storage.dump();
    EXPECT_EQ(storage["log"]["segments"], 1) << storage.dump();
    EXPECT_GT(storage["log"]["bytes"], 135 * 50) << "at least a commit header per commit: " << storage.dump();
    EXPECT_EQ(storage["snapshots_taken"], 0) << storage.dump();
    EXPECT_TRUE(storage.contains("last_snapshot") && storage["last_snapshot"].is_null()) << storage.dump();

    const auto st = server.terminate();
    ASSERT_TRUE(st.exited_with(0)) << "livekv " << st;
    ASSERT_TRUE(server.start());
    http_client after_client(server.port());
    EXPECT_EQ(after_client.get("/readyz").status, 200);
    EXPECT_TRUE(same_state(before, read_state(after_client)));
    const auto typed = after_client.get("/v1/kv/typed");
    EXPECT_EQ(typed.header("Content-Type"), "text/html") << typed;
    EXPECT_EQ(after_client.get("/v1/kv/binary").body, std::string("\x00\xff\x01", 3));
    EXPECT_TRUE(after_client.get("/v1/kv/later").headers.contains("KV-TTL"));
    const auto status = status_json(after_client);
    const auto& recovery = status["storage"]["recovery"];
    EXPECT_EQ(recovery["records_replayed"], before.revision) << "one log record per commit: " << status.dump();
    EXPECT_EQ(recovery["truncated_bytes"], 0) << status.dump();
    EXPECT_EQ(recovery["dropped_records"], 0) << status.dump();
    EXPECT_TRUE(recovery["warnings"].is_array() && recovery["warnings"].empty()) << status.dump();
    EXPECT_TRUE(recovery["seconds"].is_number()) << status.dump();
    // The revision sequence goes on where it stopped.
    EXPECT_EQ(revision_of(after_client.put("/v1/kv/next", "v")), before.revision + 1);
  }
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(durability_test, kill_9_with_fsync_always_loses_no_acknowledged_write_and_invents_none) {
  unsigned seed = std::random_device{}();
  if (const char* s = std::getenv("LIVEKV_TEST_SEED")) seed = static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  SCOPED_TRACE("seed " + std::to_string(seed) + " (rerun with LIVEKV_TEST_SEED=" + std::to_string(seed) + ")");
  std::mt19937 rng(seed);

  server_process server({"--fsync", "always"});
  ASSERT_TRUE(server.start());
  write_history history;
  for (int round = 0; round < crash_rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const int kill_after = std::uniform_int_distribution<int>(min_acks_before_kill, max_acks_before_kill)(rng);
    progress p;
    std::vector<crash_writer_log> logs(crash_writers);
    bool reached = false;
    {
      std::latch start(crash_writers);
      std::vector<std::jthread> writers;
      for (int w = 0; w < crash_writers; ++w)
        writers.emplace_back(crash_writer, server.port(), round, w, std::ref(start), std::ref(p), std::ref(logs[w]));
      reached = p.wait_for(kill_after, crash_writers);
      p.killed = true;
      const auto st = server.kill9();
      EXPECT_TRUE(st.killed_by(SIGKILL)) << "livekv " << st;
    }  // the writers see the connection fail and stop
    for (std::size_t w = 0; w < logs.size(); ++w) {
      for (const auto& f : logs[w].failures) ADD_FAILURE() << "writer " << w << ": " << f;
      for (const auto& [key, value] : logs[w].attempted) history.attempted.emplace(key, value);
      for (const auto& [key, ack] : logs[w].acknowledged) history.acknowledged.emplace(key, ack);
    }
    ASSERT_TRUE(reached) << "the writers stopped before " << kill_after << " acknowledged writes";
    ASSERT_TRUE(server.start());
    http_client client(server.port());
    ASSERT_NO_FATAL_FAILURE(expect_recovered(client, history, seed));
    ASSERT_FALSE(HasFailure());
  }
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(durability_test, snapshots_during_writes_restore_the_same_state_and_compact_the_log) {
  server_process server;
  ASSERT_TRUE(server.start());
  http_client client(server.port());
  // Preload: far more log than the writers below can produce, so the compaction is measurable.
  for (int b = 0; b < 10; ++b) {
    json ops = json::array();
    for (int i = 0; i < 50; ++i)
      ops.push_back({{"op", "put"}, {"key", "pre/" + std::to_string(b * 50 + i)}, {"value", std::string(400, 'p')}});
    ASSERT_EQ(post_json(client, "/v1/batch", {{"ops", ops}}).status, 200);
  }
  const std::uint64_t log_bytes_before = storage_number(status_json(client), "/storage/log/bytes"_json_pointer);
  ASSERT_GT(log_bytes_before, 500u * 400);
  ASSERT_EQ(log_segments(server.data_dir()).size(), 1u);
  const fs::path first_segment = log_segments(server.data_dir()).front();

  constexpr int writers = 4;
  constexpr int max_writes_per_writer = 300;
  progress p;
  std::atomic<bool> stop{false};
  std::vector<std::vector<std::string>> failures(writers);
  json last_snapshot;
  {
    std::vector<std::jthread> threads;
    for (int w = 0; w < writers; ++w) {
      threads.emplace_back([&, w, port = server.port()] {
        http_client c(port);
        for (int i = 0; i < max_writes_per_writer && !stop; ++i) {
          const std::string key = "live/w" + std::to_string(w) + "/" + std::to_string(i % 50);
          const auto res = c.put(kv_path(key), "w" + std::to_string(w) + "-" + std::to_string(i));
          if (res.status != 200 && res.status != 201) {
            failures[w].push_back("PUT " + key + ":\n" + res.describe());
            break;
          }
          p.add_ack();
        }
        p.finish();
      });
    }
    EXPECT_TRUE(p.wait_for(50, writers)) << "the writers made no progress";
    for (int n = 0; n < 2; ++n) {
      const auto res = client.request(verb::post, "/v1/admin/snapshot");
      ASSERT_EQ(res.status, 200) << res;
      last_snapshot = res.json();
      for (const char* member : {"start_revision", "end_revision", "keys", "bytes"})
        EXPECT_TRUE(last_snapshot[member].is_number_unsigned()) << member << " in " << res;
      EXPECT_TRUE(last_snapshot["seconds"].is_number() && last_snapshot["time_ms"].is_number()) << res;
      EXPECT_LE(last_snapshot["start_revision"], last_snapshot["end_revision"]) << res;
      EXPECT_GE(last_snapshot["keys"], 500u) << res;
    }
    stop = true;
  }
  for (int w = 0; w < writers; ++w)
    for (const auto& f : failures[w]) ADD_FAILURE() << "writer " << w << ": " << f;

  const kv_state before = read_state(client);
  const auto status = status_json(client);
  EXPECT_LT(storage_number(status, "/storage/log/bytes"_json_pointer), log_bytes_before) << status.dump();
  EXPECT_GE(storage_number(status, "/storage/snapshots_taken"_json_pointer), 2u) << status.dump();
  EXPECT_FALSE(fs::exists(first_segment)) << "the segment the snapshot covers is deleted";
  const std::uint64_t start = last_snapshot["start_revision"].get<std::uint64_t>();
  EXPECT_EQ(snapshot_files(server.data_dir()),
            std::vector<fs::path>{server.data_dir() / ("snapshot-" + twenty_digits(start) + ".snap")})
      << "only the newest snapshot is kept";
  for (const auto& seg : log_segments(server.data_dir()))
    EXPECT_GT(std::stoull(seg.filename().string().substr(4, 20)), start) << seg << " is covered by the snapshot";
  EXPECT_TRUE(files_named(server.data_dir(), "", ".tmp").empty());

  const auto st = server.terminate();
  ASSERT_TRUE(st.exited_with(0)) << "livekv " << st;
  ASSERT_TRUE(server.start());
  http_client after(server.port());
  EXPECT_TRUE(same_state(before, read_state(after)));
  EXPECT_EQ(status_json(after)["storage"]["recovery"]["snapshot_revision"], start);
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(durability_test, the_log_size_trigger_takes_a_snapshot_that_restores_the_same_state) {
  server_process server({"--snapshot-log-bytes", "64KiB"});
  ASSERT_TRUE(server.start());
  http_client client(server.port());
  ASSERT_NO_FATAL_FAILURE(put_keys(client, "auto/", 2000, 200));
  json status;
  EXPECT_TRUE(poll_until(
      [&] {
        status = status_json(client);
        return storage_number(status, "/storage/snapshots_taken"_json_pointer) >= 1 &&
               status["storage"]["snapshot_running"] == false;
      },
      background_deadline))
      << status.dump();
  EXPECT_TRUE(status["storage"]["last_snapshot"].is_object()) << status.dump();
  EXPECT_FALSE(snapshot_files(server.data_dir()).empty());
  const kv_state before = read_state(client);
  ASSERT_EQ(before.items.size(), 2000u);

  // A crash, not a clean stop: what --fsync everysec acknowledged is with the OS and must be back.
  EXPECT_TRUE(server.kill9().killed_by(SIGKILL));
  ASSERT_TRUE(server.start());
  http_client after(server.port());
  EXPECT_TRUE(same_state(before, read_state(after)));
  EXPECT_GT(storage_number(status_json(after), "/storage/recovery/snapshot_revision"_json_pointer), 0u);
  EXPECT_TRUE(files_named(server.data_dir(), "", ".tmp").empty()) << "a half-written snapshot is removed";
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(durability_test, damage_in_the_middle_of_the_log_stops_startup_until_repair_which_goes_on_past_the_dropped_revisions) {
  server_process server;
  ASSERT_TRUE(server.start());
  constexpr int written = 200;
  {
    http_client client(server.port());
    ASSERT_NO_FATAL_FAILURE(put_keys(client, "d/", written, 100));
  }
  ASSERT_TRUE(server.terminate().exited_with(0));

  const auto segments = log_segments(server.data_dir());
  const auto damaged = std::find_if(segments.begin(), segments.end(), [](const fs::path& p) { return fs::file_size(p) > 0; });
  ASSERT_NE(damaged, segments.end()) << "no log was written";
  std::string bytes = read_bytes(*damaged);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5A);
  write_bytes(*damaged, bytes);

  const auto out = run_livekv({"--host", "127.0.0.1", "--port", "0", "--data-dir", server.data_dir().string()}, {},
                              milliseconds(15'000));
  EXPECT_EQ(out.status.how, exit_status::kind::exited) << out.status;
  EXPECT_NE(out.status.value, 0) << "a damaged log must stop startup";
  const std::string said = out.out + out.err;
  EXPECT_NE(said.find(damaged->filename().string()), std::string::npos) << said;
  EXPECT_NE(said.find("offset"), std::string::npos) << said;
  EXPECT_NE(said.find("--repair"), std::string::npos) << said;
  EXPECT_NE(said.find("revisions continue past the highest one the dropped records hold"), std::string::npos) << said;
  EXPECT_EQ(said.find("livekv listening"), std::string::npos) << said;

  kv_state repaired_state;
  {
    server_process repaired({"--repair", "--data-dir", server.data_dir().string()});
    ASSERT_TRUE(repaired.start());
    http_client client(repaired.port());
    const auto status = status_json(client);
    const auto& recovery = status["storage"]["recovery"];
    const std::uint64_t replayed = recovery["records_replayed"].get<std::uint64_t>();
    const std::uint64_t dropped = recovery["dropped_records"].get<std::uint64_t>();
    EXPECT_GT(dropped, 0u) << status.dump();
    EXPECT_GT(replayed, 0u) << status.dump();
    EXPECT_LE(replayed + dropped, static_cast<std::uint64_t>(written)) << status.dump();
    EXPECT_FALSE(recovery["warnings"].empty()) << status.dump();
    // The records after the damage still decode: the last revision handed out was `written`.
    EXPECT_EQ(recovery["highest_dropped_revision"], written) << status.dump();
    EXPECT_EQ(status["storage"]["epoch"], 1) << status.dump();
    repaired_state = read_state(client);
    EXPECT_EQ(repaired_state.items.size(), replayed) << "the records before the damage, and nothing after";
    for (std::uint64_t i = 0; i < replayed; ++i) {
      const auto it = repaired_state.items.find("d/" + std::to_string(i));
      ASSERT_NE(it, repaired_state.items.end()) << "d/" << i << " was before the damage";
      EXPECT_EQ(it->second.mod_revision, i + 1);
      EXPECT_TRUE(it->second.value.starts_with("d/" + std::to_string(i) + ":")) << it->second;
    }
    // The dropped writes may have been acknowledged: new writes never get their revisions.
    const std::uint64_t next = revision_of(client.put("/v1/kv/after-repair", "v"));
    EXPECT_GT(next, static_cast<std::uint64_t>(written));
    EXPECT_EQ(next, written + 2u) << "the repair itself is revision " << written + 1;
    // Nothing was deleted or cut: the damaged segment is in the folder as it was.
    ASSERT_TRUE(recovery["moved_aside"].is_string()) << status.dump();
    const fs::path aside = recovery["moved_aside"].get<std::string>();
    EXPECT_EQ(aside.parent_path(), server.data_dir());
    EXPECT_EQ(read_bytes(aside / damaged->filename()), bytes);
    repaired_state = read_state(client);
    EXPECT_TRUE(repaired.terminate().exited_with(0));
  }
  // The repair is permanent: a plain start now succeeds with the same state and epoch.
  ASSERT_TRUE(server.start());
  http_client client(server.port());
  EXPECT_TRUE(same_state(repaired_state, read_state(client)));
  const auto status = status_json(client);
  EXPECT_EQ(status["storage"]["recovery"]["dropped_records"], 0) << status.dump();
  EXPECT_EQ(status["storage"]["epoch"], 1) << status.dump();
  EXPECT_EQ(revision_of(client.put("/v1/kv/after-restart", "v")), repaired_state.revision + 1);
  EXPECT_TRUE(server.terminate().exited_with(0));
}

// Writes keys, then has a snapshot taken and writes a few more, so that the log holds only what
// follows the snapshot. Returns the snapshot's start revision and (in `last`) the last revision
// handed out.
std::uint64_t write_through_a_snapshot(server_process& server, std::uint64_t& last) {
  EXPECT_TRUE(server.start());
  http_client client(server.port());
  put_keys(client, "before/", 40, 50);
  const auto snap = client.request(verb::post, "/v1/admin/snapshot");
  EXPECT_EQ(snap.status, 200) << snap;
  put_keys(client, "after/", 10, 50);
  last = read_state(client).revision;
  EXPECT_TRUE(server.terminate().exited_with(0));
  const auto j = snap.json();
  return j.is_object() && j["start_revision"].is_number_unsigned() ? j["start_revision"].get<std::uint64_t>() : 0;
}

TEST(durability_test, a_deleted_snapshot_stops_startup_naming_it_and_the_ways_out_even_with_repair) {
  server_process server;
  std::uint64_t last = 0;
  const std::uint64_t start = write_through_a_snapshot(server, last);
  ASSERT_GT(start, 0u);
  ASSERT_FALSE(::testing::Test::HasFailure());
  const fs::path snapshot = server.data_dir() / ("snapshot-" + twenty_digits(start) + ".snap");
  ASSERT_TRUE(fs::remove(snapshot)) << snapshot;
  const auto files_before = files_named(server.data_dir(), "", "");

  for (const bool repair : {false, true}) {
    std::vector<std::string> args{"--host", "127.0.0.1", "--port", "0", "--data-dir", server.data_dir().string()};
    if (repair) args.push_back("--repair");
    const auto out = run_livekv(args, {}, milliseconds(15'000));
    SCOPED_TRACE(repair ? "with --repair" : "without --repair");
    EXPECT_TRUE(out.status.how == exit_status::kind::exited && out.status.value != 0)
        << "starting would hand revisions 1.." << last << " out again: " << out.status;
    const std::string said = out.out + out.err;
    EXPECT_EQ(said.find("livekv listening"), std::string::npos) << said;
    EXPECT_NE(said.find(snapshot.filename().string()), std::string::npos) << "names what is missing: " << said;
    EXPECT_NE(said.find("put " + snapshot.filename().string() + " back"), std::string::npos) << said;
    EXPECT_NE(said.find("--discard-data 0"), std::string::npos) << "names the way to start empty: " << said;
    EXPECT_NE(said.find("--repair does not apply"), std::string::npos) << said;
    EXPECT_EQ(files_named(server.data_dir(), "", ""), files_before) << "a refused start changes no file";
  }
}

TEST(durability_test, discard_data_starts_empty_past_every_revision_handed_out_and_a_restart_keeps_the_new_writes) {
  server_process server;
  std::uint64_t last = 0;
  const std::uint64_t start = write_through_a_snapshot(server, last);
  ASSERT_GT(start, 0u);
  ASSERT_FALSE(::testing::Test::HasFailure());
  ASSERT_TRUE(fs::remove(server.data_dir() / ("snapshot-" + twenty_digits(start) + ".snap")));
  const auto old_segments = log_segments(server.data_dir());
  ASSERT_FALSE(old_segments.empty());

  kv_state after_discard;
  {
    server_process discarding({"--discard-data", "0", "--data-dir", server.data_dir().string()});
    ASSERT_TRUE(discarding.start());
    http_client client(discarding.port());
    const auto status = status_json(client);
    EXPECT_EQ(status["keys"], 0) << status.dump();
    EXPECT_EQ(status["storage"]["epoch"], 1) << status.dump();
    const auto& recovery = status["storage"]["recovery"];
    EXPECT_EQ(recovery["highest_dropped_revision"], last) << status.dump();
    EXPECT_FALSE(recovery["warnings"].empty()) << status.dump();
    EXPECT_EQ(status["storage"]["last_snapshot"]["start_revision"], last + 1) << "the discard's own revision";
    EXPECT_TRUE(is_problem(client.get("/v1/kv/before/0"), 404, "key_not_found"));
    // The first new write gets a revision no client can already hold.
    const std::uint64_t first = revision_of(client.put("/v1/kv/fresh/0", "v"));
    EXPECT_GT(first, last) << status.dump();
    ASSERT_NO_FATAL_FAILURE(put_keys(client, "fresh/", 5, 20));
    ASSERT_EQ(post_json(client, "/v1/batch", {{"ops", {{{"op", "put"}, {"key", "b"}, {"value", "v"}}}}}).status, 200);
    after_discard = read_state(client);
    EXPECT_NE(discarding.stderr_text().find("epoch 1"), std::string::npos)
        << "the startup log line names the epoch:\n" << discarding.stderr_text();
    // Nothing was deleted: the old log is in the folder, named in /status.
    ASSERT_TRUE(recovery["moved_aside"].is_string()) << status.dump();
    const fs::path aside = recovery["moved_aside"].get<std::string>();
    EXPECT_EQ(aside.parent_path(), server.data_dir());
    EXPECT_TRUE(aside.filename().string().starts_with("discarded-")) << aside;
    for (const auto& seg : old_segments) EXPECT_TRUE(fs::exists(aside / seg.filename())) << seg.filename();
    EXPECT_TRUE(discarding.terminate().exited_with(0));
  }
  // The same flag left set (a unit file, an environment variable) discards nothing more: it named
  // epoch 0, and the directory is at epoch 1 now.
  {
    server_process again({"--discard-data", "0", "--data-dir", server.data_dir().string()});
    ASSERT_TRUE(again.start());
    http_client client(again.port());
    EXPECT_TRUE(same_state(after_discard, read_state(client)));
    EXPECT_NE(again.stderr_text().find("--discard-data 0 ignored"), std::string::npos) << again.stderr_text();
    EXPECT_TRUE(again.terminate().exited_with(0));
  }
  // A plain restart recovers the new writes, at the same revisions, in the same epoch.
  ASSERT_TRUE(server.start());
  http_client client(server.port());
  EXPECT_TRUE(same_state(after_discard, read_state(client)));
  const auto status = status_json(client);
  EXPECT_EQ(status["storage"]["epoch"], 1) << status.dump();
  EXPECT_EQ(status["storage"]["recovery"]["warnings"].size(), 0u) << status.dump();
  EXPECT_EQ(revision_of(client.put("/v1/kv/after-restart", "v")), after_discard.revision + 1);
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(durability_test, damage_at_the_end_of_a_segment_that_is_not_the_last_is_not_taken_for_a_torn_tail) {
  server_process server;
  // Two runs give two segments: each start opens a new one after the recovered revision.
  for (const char* prefix : {"one/", "two/"}) {
    ASSERT_TRUE(server.start());
    {
      http_client client(server.port());
      ASSERT_NO_FATAL_FAILURE(put_keys(client, prefix, 20, 30));
    }
    ASSERT_TRUE(server.terminate().exited_with(0));
  }
  const auto segments = log_segments(server.data_dir());
  ASSERT_EQ(segments.size(), 2u);
  std::string bytes = read_bytes(segments.front());
  ASSERT_FALSE(bytes.empty());
  bytes.back() = static_cast<char>(bytes.back() ^ 0x5A);  // inside the segment's last record
  write_bytes(segments.front(), bytes);

  const auto out = run_livekv({"--host", "127.0.0.1", "--port", "0", "--data-dir", server.data_dir().string()}, {},
                              milliseconds(15'000));
  EXPECT_EQ(out.status.how, exit_status::kind::exited) << out.status;
  EXPECT_NE(out.status.value, 0) << "the segment was synced before the next one began: this is damage";
  const std::string said = out.out + out.err;
  EXPECT_NE(said.find(segments.front().filename().string()), std::string::npos) << said;
  EXPECT_NE(said.find("--repair"), std::string::npos) << said;
}

TEST(durability_test, a_key_whose_ttl_ran_out_while_stopped_is_gone_after_restart) {
  server_process server;
  ASSERT_TRUE(server.start());
  {
    http_client client(server.port());
    ASSERT_EQ(client.put("/v1/kv/brief?ttl=0.3", "v").status, 201);
    ASSERT_EQ(client.put("/v1/kv/lasting", "v").status, 201);
  }
  ASSERT_TRUE(server.terminate().exited_with(0));
  ASSERT_TRUE(server.start());
  http_client client(server.port());
  // The deadline is absolute: whether it passed before or after the restart, the key expires once.
  EXPECT_TRUE(poll_until(
      [&] {
        const auto j = status_json(client);
        return j.is_object() && j["keys_with_ttl"] == 0;
      },
      background_deadline));
  EXPECT_TRUE(is_problem(client.get("/v1/kv/brief"), 404, "key_not_found"));
  const auto state = read_state(client);
  EXPECT_EQ(state.items.size(), 1u);
  EXPECT_TRUE(state.items.contains("lasting"));
  EXPECT_EQ(state.revision, 3u) << "two puts and one expire commit";
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(durability_test, a_torn_tail_is_truncated_with_a_warning) {
  server_process server;
  ASSERT_TRUE(server.start());
  kv_state before;
  {
    http_client client(server.port());
    ASSERT_NO_FATAL_FAILURE(put_keys(client, "t/", 50, 40));
    before = read_state(client);
  }
  ASSERT_TRUE(server.terminate().exited_with(0));

  const auto segments = log_segments(server.data_dir());
  ASSERT_FALSE(segments.empty());
  const fs::path last = segments.back();
  const auto size = fs::file_size(last);
  const std::string junk("\xde\xad\xbe\xef\x01\x02\x03", 7);  // less than a frame header: a torn write
  write_bytes(last, read_bytes(last) + junk);

  ASSERT_TRUE(server.start());
  http_client client(server.port());
  const auto status = status_json(client);
  const auto& recovery = status["storage"]["recovery"];
  EXPECT_EQ(recovery["truncated_bytes"], junk.size()) << status.dump();
  EXPECT_EQ(recovery["dropped_records"], 0) << status.dump();
  ASSERT_TRUE(recovery["warnings"].is_array() && !recovery["warnings"].empty()) << status.dump();
  EXPECT_NE(recovery["warnings"][0].get<std::string>().find(last.filename().string()), std::string::npos)
      << status.dump();
  EXPECT_TRUE(same_state(before, read_state(client)));
  EXPECT_EQ(fs::file_size(last), size) << "the torn bytes are cut off the file";
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(durability_test, a_half_written_last_record_is_dropped_with_a_warning) {
  server_process server;
  ASSERT_TRUE(server.start());
  {
    http_client client(server.port());
    ASSERT_NO_FATAL_FAILURE(put_keys(client, "h/", 50, 40));
  }
  ASSERT_TRUE(server.terminate().exited_with(0));
  const auto segments = log_segments(server.data_dir());
  ASSERT_FALSE(segments.empty());
  const fs::path last = segments.back();
  std::string bytes = read_bytes(last);
  ASSERT_GT(bytes.size(), 10u);
  bytes.resize(bytes.size() - 10);  // the write of the last record stopped short
  write_bytes(last, bytes);

  ASSERT_TRUE(server.start());
  http_client client(server.port());
  const auto status = status_json(client);
  const auto& recovery = status["storage"]["recovery"];
  const std::uint64_t truncated = recovery["truncated_bytes"].get<std::uint64_t>();
  EXPECT_GT(truncated, 0u) << status.dump();
  EXPECT_EQ(fs::file_size(last) + truncated, bytes.size()) << "the partial record is cut off the file";
  EXPECT_FALSE(recovery["warnings"].empty()) << status.dump();
  EXPECT_EQ(recovery["records_replayed"], 49) << status.dump();
  const auto state = read_state(client);
  EXPECT_EQ(state.revision, 49u);
  EXPECT_EQ(state.items.size(), 49u);
  EXPECT_FALSE(state.items.contains("h/49")) << "the half-written record";
  EXPECT_TRUE(state.items.contains("h/48"));
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(durability_test, in_memory_writes_nothing_to_the_data_dir_and_restarts_empty) {
  server_process server({"--in-memory"});
  ASSERT_TRUE(server.start());
  {
    http_client client(server.port());
    ASSERT_NO_FATAL_FAILURE(put_keys(client, "m/", 20, 50));
    ASSERT_EQ(post_json(client, "/v1/batch", {{"ops", {{{"op", "put"}, {"key", "b"}, {"value", "v"}}}}}).status, 200);
    const auto status = status_json(client);
    EXPECT_EQ(status["config"]["in_memory"], true) << status.dump();
    EXPECT_TRUE(status["storage"].is_null()) << status.dump();
    const auto snap = client.request(verb::post, "/v1/admin/snapshot");
    EXPECT_EQ(snap.status / 100, 4) << "nothing to snapshot in memory:\n" << snap;
  }
  ASSERT_TRUE(server.terminate().exited_with(0));
  EXPECT_TRUE(fs::is_empty(server.data_dir())) << "files were written to " << server.data_dir();
  ASSERT_TRUE(server.start());
  http_client client(server.port());
  EXPECT_TRUE(is_problem(client.get("/v1/kv/m/0"), 404, "key_not_found"));
  const auto status = status_json(client);
  EXPECT_EQ(status["revision"], 0) << status.dump();
  EXPECT_EQ(status["keys"], 0) << status.dump();
  EXPECT_TRUE(server.terminate().exited_with(0));
  EXPECT_TRUE(fs::is_empty(server.data_dir()));
}

}  // namespace
}  // namespace livekv::test
