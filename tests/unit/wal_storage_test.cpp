// The log, snapshots and recovery against real files in a temporary directory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "livekv/io/append_file.hpp"
#include "livekv/store/kv_store.hpp"
#include "livekv/wal/commit_codec.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/log_writer.hpp"
#include "livekv/wal/recovery.hpp"
#include "livekv/wal/storage.hpp"
#include "support/temp_dir.hpp"

namespace livekv::wal {
namespace {

namespace fs = std::filesystem;

using test::temp_dir;

store::commit_request put(std::string key, std::string value, std::int64_t ttl_ms = 0) {
  store::commit_request r;
  r.ops.push_back({store::operation::kind::put, std::move(key), store::make_value(value, "text/plain"), ttl_ms, 0});
  return r;
}

store::commit_request erase(std::string key) {
  store::commit_request r;
  r.ops.push_back({store::operation::kind::erase, std::move(key), nullptr, 0, 0});
  return r;
}

// Everything observable about a store, for comparing the original with the recovered one.
std::string dump(const store::kv_store& s) {
  std::string out = "rev=" + std::to_string(s.revision()) + "\n";
  std::optional<std::string> after;
  for (;;) {
    const auto page = s.list({"", after, 1000});
    for (const auto& i : page.items) {
      out += i.key + "=" + std::string(i.e.val->bytes()) + " ct=" + std::string(i.e.val->content_type()) + " c=" + std::to_string(i.e.create_revision) +
             " m=" + std::to_string(i.e.mod_revision) + " v=" + std::to_string(i.e.version) +
             " x=" + std::to_string(i.e.expires_at_ms) + "\n";
    }
    if (!page.next) return out;
    after = page.next;
  }
}

// Commits and waits until the commit is durable, as a client's answer does: under --fsync always
// the store shows a commit to readers only from then on.
void commit_ok(store::kv_store& s, const store::commit_request& r) {
  auto out = s.commit(r);
  ASSERT_TRUE(out.has_value()) << out.error().message();
  ASSERT_TRUE(out->applied);
  std::promise<status> durable;
  out->durable.when_durable([&](status st) { durable.set_value(std::move(st)); });
  const status st = durable.get_future().get();
  ASSERT_TRUE(st.ok()) << st.message();
}

std::string only_segment(const std::string& dir) {
  std::string found;
  for (const auto& e : fs::directory_iterator(dir))
    if (parse_segment_name(e.path().filename().string()) && fs::file_size(e.path()) > 0) found = e.path().string();
  return found;
}

TEST(wal_commit_codec, commits_round_trip_with_every_op_kind) {
  const auto v = store::make_value(std::string("\0bin\xff", 5), "application/x-test");
  store::logged_commit c{3, 4, 42, 1'700'000'000'123, {}};
  c.ops.push_back({store::operation::kind::put, "a/key", v.get(), 1'800'000'000'000});
  c.ops.push_back({store::operation::kind::erase, "gone", nullptr, 0});
  c.ops.push_back({store::operation::kind::expire, "old", nullptr, 0});
  std::string payload;
  encode_commit(payload, c);
  auto d = decode_commit(payload);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->term, 3u);
  EXPECT_EQ(d->index, 4u);
  EXPECT_EQ(d->revision, 42u);
  EXPECT_EQ(d->time_ms, 1'700'000'000'123);
  ASSERT_EQ(d->ops.size(), 3u);
  EXPECT_EQ(d->ops[0].key, "a/key");
  EXPECT_EQ(d->ops[0].val->bytes(), v->bytes());
  EXPECT_EQ(d->ops[0].val->content_type(), "application/x-test");
  EXPECT_EQ(d->ops[0].expires_at_ms, 1'800'000'000'000);
  EXPECT_EQ(d->ops[1].what, store::operation::kind::erase);
  EXPECT_EQ(d->ops[2].what, store::operation::kind::expire);
}

TEST(wal_commit_codec, truncated_or_trailing_payloads_are_rejected) {
  store::logged_commit c{0, 0, 1, 0, {}};
  const auto v = store::make_value("value");
  c.ops.push_back({store::operation::kind::put, "k", v.get(), 0});
  std::string payload;
  encode_commit(payload, c);
  for (std::size_t n = 0; n < payload.size(); ++n) EXPECT_FALSE(decode_commit(payload.substr(0, n))) << n;
  EXPECT_FALSE(decode_commit(payload + "x"));
}

TEST(wal_replay, replay_skips_what_a_fuzzy_snapshot_already_saw) {
  store::kv_store kv;
  store::state_machine& s = kv;  // recovery reaches the store only through this interface
  // The snapshot copied "seen" after its write at revision 7, and "stale" before any change.
  s.load_entry("seen", {store::make_value("new"), 2, 7, 3, 0});
  s.load_entry("stale", {store::make_value("old"), 1, 1, 1, 0});
  s.set_revision(7);
  store::replayed_commit c5{0, 0, 5, 0, {}};
  c5.ops.push_back({store::operation::kind::put, "seen", store::make_value("older"), 0});
  c5.ops.push_back({store::operation::kind::put, "stale", store::make_value("newer"), 0});
  s.replay(c5);
  EXPECT_EQ(kv.get("seen")->val->bytes(), "new");
  EXPECT_EQ(kv.get("seen")->version, 3u);
  EXPECT_EQ(kv.get("stale")->val->bytes(), "newer");
  EXPECT_EQ(kv.get("stale")->version, 2u);
  EXPECT_EQ(kv.get("stale")->mod_revision, 5u);
  store::replayed_commit c8{0, 0, 8, 0, {}};
  c8.ops.push_back({store::operation::kind::erase, "seen", nullptr, 0});
  s.replay(c8);
  EXPECT_FALSE(kv.get("seen"));
  EXPECT_EQ(kv.revision(), 8u);
}

TEST(wal_replay, two_ops_of_one_batch_on_one_key_both_apply) {
  store::kv_store kv;
  store::state_machine& s = kv;
  store::replayed_commit c{0, 0, 1, 0, {}};
  c.ops.push_back({store::operation::kind::put, "k", store::make_value("a"), 0});
  c.ops.push_back({store::operation::kind::erase, "k", nullptr, 0});
  c.ops.push_back({store::operation::kind::put, "k", store::make_value("b"), 0});
  s.replay(c);
  EXPECT_EQ(kv.get("k")->val->bytes(), "b");
}

class storage_test : public ::testing::Test {
 protected:
  temp_dir dir_;
  storage_options opts(fsync_policy p = fsync_policy::always) {
    storage_options o;
    o.dir = dir_.path();
    o.policy = p;
    return o;
  }
};

TEST_F(storage_test, recovery_rebuilds_exactly_the_committed_state) {
  std::string before;
  {
    store::kv_store s;
    storage disk(s, opts());
    ASSERT_TRUE(disk.open());
    commit_ok(s, put("a", "1"));
    commit_ok(s, put("b", "2", 3'600'000));
    commit_ok(s, put("a", "3"));
    commit_ok(s, erase("b"));
    commit_ok(s, put("c", std::string(1000, 'z')));
    store::commit_request batch = put("d", "4");
    batch.ops.push_back({store::operation::kind::put, "e", store::make_value("5"), 60'000, 0});
    commit_ok(s, batch);
    before = dump(s);
    ASSERT_TRUE(disk.close());
  }
  store::kv_store r;
  storage disk(r, opts());
  auto rep = disk.open();
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->records_replayed, 6u);
  EXPECT_EQ(dump(r), before);
  // And the recovered store goes on where it left off.
  EXPECT_EQ(r.commit(put("f", "6"))->revision, 7u);
}

TEST_F(storage_test, everysec_graceful_close_loses_nothing) {
  std::string before;
  {
    store::kv_store s;
    storage disk(s, opts(fsync_policy::everysec));
    ASSERT_TRUE(disk.open());
    for (int i = 0; i < 500; ++i) commit_ok(s, put("k" + std::to_string(i % 37), std::to_string(i)));
    before = dump(s);
  }  // destructor closes: flush + fsync
  store::kv_store r;
  storage disk(r, opts(fsync_policy::everysec));
  ASSERT_TRUE(disk.open());
  EXPECT_EQ(dump(r), before);
}

TEST_F(storage_test, torn_tail_is_truncated_with_a_warning) {
  std::string before;
  {
    store::kv_store s;
    storage disk(s, opts());
    ASSERT_TRUE(disk.open());
    commit_ok(s, put("a", "1"));
    commit_ok(s, put("b", "2"));
    before = dump(s);
  }
  const std::string seg = only_segment(dir_.path());
  const auto good_size = fs::file_size(seg);
  {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f << std::string("\x12\x34\x56\x78\x9a", 5);  // the start of a frame that never finished
  }
  store::kv_store r;
  storage disk(r, opts());
  auto rep = disk.open();
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->truncated_bytes, 5u);
  ASSERT_EQ(rep->warnings.size(), 1u);
  EXPECT_NE(rep->warnings[0].find("torn"), std::string::npos);
  EXPECT_EQ(fs::file_size(seg), good_size);
  EXPECT_EQ(dump(r), before);
}

TEST_F(storage_test, corruption_in_the_middle_stops_recovery_naming_file_and_offset) {
  {
    store::kv_store s;
    storage disk(s, opts());
    ASSERT_TRUE(disk.open());
    for (int i = 0; i < 10; ++i) commit_ok(s, put("k" + std::to_string(i), "value"));
  }
  const std::string seg = only_segment(dir_.path());
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x7f');
  }
  store::kv_store r;
  storage disk(r, opts());
  auto rep = disk.open();
  ASSERT_FALSE(rep);
  EXPECT_NE(rep.error().message().find(seg), std::string::npos) << rep.error().message();
  EXPECT_NE(rep.error().message().find("offset"), std::string::npos);
  EXPECT_NE(rep.error().message().find("--repair"), std::string::npos);
}

TEST_F(storage_test, repair_keeps_the_records_before_the_damage_counts_the_dropped_and_continues_past_them) {
  {
    // Two runs give two segments: revisions 1-2, then 3-10.
    store::kv_store s;
    {
      storage disk(s, opts());
      ASSERT_TRUE(disk.open());
      for (int i = 0; i < 2; ++i) commit_ok(s, put("k" + std::to_string(i), "value"));
    }
    store::kv_store again;
    storage disk(again, opts());
    ASSERT_TRUE(disk.open());
    for (int i = 2; i < 10; ++i) commit_ok(again, put("k" + std::to_string(i), "value"));
  }
  // Damage the third commit of the log (records are in the segments in revision order).
  std::vector<std::string> segs;
  for (const auto& e : fs::directory_iterator(dir_.path()))
    if (parse_segment_name(e.path().filename().string()) && fs::file_size(e.path()) > 0) segs.push_back(e.path().string());
  std::sort(segs.begin(), segs.end());
  ASSERT_EQ(segs.size(), 2u);
  {
    std::fstream f(segs[1], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.put('\x01');
  }
  store::kv_store r;
  auto o = opts();
  o.repair = true;
  storage disk(r, o);
  auto rep = disk.open();
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->records_replayed, 2u);
  EXPECT_EQ(rep->dropped_records, 7u);
  EXPECT_TRUE(r.get("k1"));
  EXPECT_FALSE(r.get("k2"));
  // Revisions 3-10 may have been acknowledged: the store goes on past them, never back to 3.
  EXPECT_EQ(rep->highest_dropped_revision, 10u);
  EXPECT_EQ(r.revision(), 11u);
  EXPECT_EQ(rep->epoch, 1u);
  // The repaired log is consistent: new writes continue the revisions and recover again.
  commit_ok(r, put("after", "repair"));
  EXPECT_EQ(r.revision(), 12u);
  ASSERT_TRUE(disk.close());
  store::kv_store again;
  storage reopened(again, opts());
  auto rep2 = reopened.open();
  ASSERT_TRUE(rep2) << rep2.error().message();
  EXPECT_EQ(dump(again), dump(r));
  EXPECT_EQ(rep2->dropped_records, 0u);
}

TEST_F(storage_test, snapshot_shrinks_the_log_and_recovery_uses_it) {
  std::string before;
  std::uint64_t log_before = 0;
  {
    store::kv_store s;
    storage disk(s, opts(fsync_policy::everysec));
    ASSERT_TRUE(disk.open());
    for (int i = 0; i < 2000; ++i) commit_ok(s, put("k" + std::to_string(i % 100), std::string(100, 'a' + i % 26)));
        ASSERT_TRUE(disk.sync());
    log_before = disk.report().log.segment_bytes;
    std::promise<result<snapshot_info>> done;
    disk.request_snapshot([&](result<snapshot_info> r) { done.set_value(std::move(r)); });
    auto info = done.get_future().get();
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->entries, 100u);
    EXPECT_EQ(info->start_revision, 2000u);
    EXPECT_LT(disk.report().log.segment_bytes, log_before / 10);
    commit_ok(s, put("k1", "after-snapshot"));
    commit_ok(s, erase("k2"));
    before = dump(s);
  }
  store::kv_store r;
  storage disk(r, opts());
  auto rep = disk.open();
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->snapshot_revision, 2000u);
  EXPECT_EQ(rep->snapshot_entries, 100u);
  EXPECT_EQ(rep->records_replayed, 2u);
  EXPECT_EQ(dump(r), before);
}

TEST_F(storage_test, snapshot_taken_while_writers_run_recovers_to_the_final_state) {
  std::string before;
  {
    store::kv_store s;
    storage disk(s, opts(fsync_policy::no));
    ASSERT_TRUE(disk.open());
    for (int i = 0; i < 3000; ++i) commit_ok(s, put("k" + std::to_string(i), "v0"));
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int i = 0; !stop; ++i) {
        const std::string k = "k" + std::to_string((i * 7919) % 3000);
        if (i % 5 == 0)
          (void)s.commit(erase(k));
        else
          (void)s.commit(put(k, "v" + std::to_string(i)));
      }
    });
    for (int round = 0; round < 3; ++round) {
      std::promise<result<snapshot_info>> done;
      disk.request_snapshot([&](result<snapshot_info> r) { done.set_value(std::move(r)); });
      ASSERT_TRUE(done.get_future().get());
    }
    stop = true;
    writer.join();
    before = dump(s);
  }
  store::kv_store r;
  storage disk(r, opts());
  auto rep = disk.open();
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(dump(r), before);
}

TEST_F(storage_test, group_commit_shares_fsyncs_between_concurrent_writers) {
  store::kv_store s;
  storage disk(s, opts(fsync_policy::always));
  ASSERT_TRUE(disk.open());
  constexpr int threads = 8, per_thread = 50;
  std::vector<std::thread> pool;
  std::atomic<int> acked{0};
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto out = s.commit(put("t" + std::to_string(t), std::to_string(i)));
        ASSERT_TRUE(out);
        std::promise<status> durable;
        out->durable.when_durable([&](status st) { durable.set_value(st); });
        ASSERT_TRUE(durable.get_future().get());
        ++acked;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(acked.load(), threads * per_thread);
  const auto st = disk.report().log;
  EXPECT_EQ(st.appends, std::uint64_t{threads * per_thread});
  // Each write waited for an fsync that covered it; with 8 writers most fsyncs covered several.
  EXPECT_LT(st.syncs, st.appends);
}

TEST_F(storage_test, a_failed_log_refuses_writes_instead_of_losing_them) {
  store::kv_store s;
  storage disk(s, opts());
  ASSERT_TRUE(disk.open());
  commit_ok(s, put("a", "1"));
  ASSERT_TRUE(disk.close());  // a closed log refuses appends just like a failed one
  s.attach_log(nullptr);
  // Re-attach a closed writer to exercise the refusal path.
  log_writer::options lo;
  lo.dir = dir_.path();
  auto w = log_writer::open(lo, s.revision() + 1);
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->close());
  s.attach_log(w->get());
  auto out = s.commit(put("b", "2"));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), errc::read_only);
  EXPECT_FALSE(s.get("b"));
  EXPECT_EQ(s.revision(), 1u);
  s.attach_log(nullptr);
}

}  // namespace
}  // namespace livekv::wal

namespace livekv::wal {
namespace {

TEST_F(storage_test, a_snapshot_of_large_values_recovers) {
  // 100 values of 1 MiB in one key-ordered run: more than one 64 MiB frame could hold.
  std::string before;
  {
    store::kv_store s;
    storage disk(s, opts(fsync_policy::no));
    ASSERT_TRUE(disk.open());
    for (int i = 0; i < 100; ++i) commit_ok(s, put("big/" + std::to_string(1000 + i), std::string(1 << 20, static_cast<char>('a' + i % 26))));
    std::promise<result<snapshot_info>> done;
    disk.request_snapshot([&](result<snapshot_info> r) { done.set_value(std::move(r)); });
    auto info = done.get_future().get();
    ASSERT_TRUE(info) << info.error().message();
    before = dump(s);
  }
  store::kv_store r;
  storage disk(r, opts());
  auto rep = disk.open();
  ASSERT_TRUE(rep) << rep.error().message();
  EXPECT_EQ(rep->snapshot_entries, 100u);
  EXPECT_EQ(dump(r), before);
}

TEST_F(storage_test, recovery_refuses_a_log_that_stops_short_of_the_snapshot) {
  store::kv_store s;
  for (int i = 0; i < 5; ++i) commit_ok(s, put("k" + std::to_string(i), "v"));
  // A fuzzy snapshot that started at revision 2 and saw writes up to 5, with no log after it.
  ASSERT_TRUE(write_snapshot(s, dir_.path(), 2, [] { return status::success(); }));
  store::kv_store r;
  storage disk(r, opts());
  auto rep = disk.open();
  ASSERT_FALSE(rep);
  EXPECT_NE(rep.error().message().find("missing"), std::string::npos) << rep.error().message();
}

TEST(wal_log_writer, an_oversized_commit_is_refused_not_written) {
  temp_dir dir;
  store::kv_store s;
  log_writer::options lo;
  lo.dir = dir.path();
  auto w = log_writer::open(lo, 1);
  ASSERT_TRUE(w);
  s.attach_log(w->get());
  store::commit_request r;
  const auto big = store::make_value(std::string(40u << 20, 'x'));
  r.ops.push_back({store::operation::kind::put, "a", big, 0, 0});
  r.ops.push_back({store::operation::kind::put, "b", big, 0, 0});  // 80 MiB: over one record
  auto out = s.commit(r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code(), errc::value_too_large);
  EXPECT_EQ(s.revision(), 0u);
  commit_ok(s, put("small", "ok"));
  s.attach_log(nullptr);
}

}  // namespace
}  // namespace livekv::wal
