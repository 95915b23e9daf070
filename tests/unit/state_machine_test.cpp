// The write-ahead log reaches the state it makes durable only through store::state_machine: here
// a recording state machine of the test's own stands in for kv_store, and snapshots and recovery
// work against it unchanged. This is the seam a replicated state machine plugs into.
#include "livekv/store/state_machine.hpp"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <string>
#include <vector>

#include "livekv/store/kv_store.hpp"
#include "livekv/wal/recovery.hpp"
#include "livekv/wal/snapshot.hpp"
#include "livekv/wal/storage.hpp"

#include "support/temp_dir.hpp"

namespace livekv::store {
namespace {

// Keeps keys in a std::map and records what recovery did to it.
class recording_state final : public state_machine {
 public:
  std::uint64_t revision() const noexcept override { return revision_; }
  list_page list(const list_query& q) const override {
    list_page page;
    page.revision = revision_;
    auto it = q.start_after ? keys.upper_bound(*q.start_after) : keys.lower_bound(q.prefix);
    for (; it != keys.end() && it->first.starts_with(q.prefix); ++it) {
      if (page.items.size() == q.limit) {
        page.next = page.items.back().key;
        break;
      }
      page.items.push_back({it->first, it->second});
    }
    return page;
  }
  const clock& time_source() const noexcept override { return clock_; }
  void attach_log(commit_log* log) override { attached.push_back(log != nullptr); }
  void checkpoint(const std::function<void(std::uint64_t)>& at) override { at(revision_); }
  void reserve(std::size_t n) override { reserved = n; }
  void load_entry(std::string_view key, const entry& e) override { keys[std::string(key)] = e; }
  void set_revision(std::uint64_t r) override { revision_ = r; }
  void replay(const replayed_commit& c) override {
    replayed.push_back(c.revision);
    for (const auto& op : c.ops) {
      if (op.what == operation::kind::put)
        keys[op.key] = entry{op.val, c.revision, c.revision, 1, op.expires_at_ms};
      else
        keys.erase(op.key);
    }
    revision_ = c.revision;
  }

  std::map<std::string, entry, std::less<>> keys;
  std::vector<std::uint64_t> replayed;
  std::vector<bool> attached;
  std::size_t reserved = 0;

 private:
  manual_clock clock_;
  std::uint64_t revision_ = 0;
};

commit_request put(std::string key, std::string value) {
  commit_request r;
  r.ops.push_back({operation::kind::put, std::move(key), make_value(value, "text/plain"), 0, 0});
  return r;
}

result<wal::snapshot_info> snapshot_now(wal::storage& disk) {
  std::promise<result<wal::snapshot_info>> done;
  disk.request_snapshot([&](result<wal::snapshot_info> r) { done.set_value(std::move(r)); });
  return done.get_future().get();
}

TEST(state_machine, recovery_loads_the_snapshot_then_replays_the_log_into_any_state_machine) {
  test::temp_dir dir;
  {
    kv_store kv;
    wal::storage_options o;
    o.dir = dir.path().string();
    o.policy = wal::fsync_policy::always;
    wal::storage disk(kv, o);
    ASSERT_TRUE(disk.open());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(kv.commit(put("a" + std::to_string(i), "v")));
    ASSERT_TRUE(snapshot_now(disk));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(kv.commit(put("b" + std::to_string(i), "w")));
    ASSERT_TRUE(disk.close());
  }
  recording_state s;
  auto rep = wal::recover(s, dir.path().string(), {});
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->snapshot_revision, 5u);
  EXPECT_EQ(rep->snapshot_entries, 5u);
  EXPECT_EQ(s.reserved, 5u) << "the snapshot's count sizes the state up front";
  EXPECT_EQ(s.replayed, (std::vector<std::uint64_t>{6, 7, 8})) << "only the commits after the snapshot";
  EXPECT_EQ(rep->revision, 8u);
  EXPECT_EQ(s.revision(), 8u);
  ASSERT_EQ(s.keys.size(), 8u);
  EXPECT_EQ(s.keys.at("a0").val->bytes(), "v");
  EXPECT_EQ(s.keys.at("b2").val->bytes(), "w");
  EXPECT_EQ(s.keys.at("b2").mod_revision, 8u);
}

TEST(state_machine, a_snapshot_written_from_one_state_machine_loads_into_a_kv_store) {
  test::temp_dir dir;
  recording_state from;
  from.keys["x"] = entry{make_value("1", "text/plain"), 3, 9, 2, 0};
  from.keys["y"] = entry{make_value("2", "application/json"), 4, 4, 1, 0};
  from.set_revision(9);
  auto written = wal::write_snapshot(from, dir.path().string(), 9, [] { return status::success(); });
  ASSERT_TRUE(written) << written.error().message();
  EXPECT_EQ(written->entries, 2u);

  kv_store kv;
  state_machine& into = kv;
  auto loaded = wal::load_snapshot(into, written->path);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(kv.revision(), 9u);
  ASSERT_TRUE(kv.get("x"));
  EXPECT_EQ(kv.get("x")->mod_revision, 9u);
  EXPECT_EQ(kv.get("x")->version, 2u);
  EXPECT_EQ(kv.get("y")->val->content_type(), "application/json");
}

}  // namespace
}  // namespace livekv::store
