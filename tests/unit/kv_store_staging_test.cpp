// The store behind a log that shows commits only once durable (--fsync always): a staged commit is
// decided against, but not seen by readers or observers until the log says it is durable, and is
// never seen if that never happens.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "livekv/store/kv_store.hpp"

namespace livekv::store {
namespace {

// A log that numbers appends and reports durability only when the test says so.
class staging_log final : public commit_log {
 public:
  result<std::uint64_t> append(const logged_commit& c) override {
    if (refuse) return status(errc::read_only, "refused");
    revisions.push_back(c.revision);
    return ++appended;
  }
  void when_durable(std::uint64_t ticket, std::function<void(status)> done) override {
    waited.push_back(ticket);
    done(status::success());
  }
  bool visible_when_durable() const noexcept override { return true; }
  void set_durability_listener(durability_listener* l) noexcept override { listener = l; }
  void make_durable_through(std::uint64_t ticket) { listener->durable_through(ticket); }

  durability_listener* listener = nullptr;
  std::uint64_t appended = 0;
  std::vector<std::uint64_t> revisions;
  std::vector<std::uint64_t> waited;
  bool refuse = false;
};

struct recording_observer final : commit_observer {
  void on_commit(const commit_request& req, const commit_outcome& out) noexcept override {
    seen.push_back(req.ops.front().key + "@" + std::to_string(out.revision));
  }
  std::vector<std::string> seen;
};

commit_request put(std::string key, std::string value) {
  commit_request r;
  r.ops.push_back({operation::kind::put, std::move(key), make_value(value)});
  return r;
}

commit_request cas(std::string key, std::uint64_t expected_revision, std::string value) {
  commit_request r = put(key, std::move(value));
  condition c;
  c.what = condition::kind::mod_revision;
  c.key = std::move(key);
  c.revision = expected_revision;
  r.conditions.push_back(std::move(c));
  return r;
}

class staging_test : public ::testing::Test {
 protected:
  staging_test() {
    store_.add_observer(&observer_);
    store_.attach_log(&log_);
  }
  staging_log log_;
  recording_observer observer_;
  kv_store store_;
};

TEST_F(staging_test, a_commit_is_invisible_until_durable_then_readable_and_published) {
  const auto out = store_.commit(put("a", "1"));
  ASSERT_TRUE(out && out->applied);
  EXPECT_EQ(out->revision, 1u);
  EXPECT_EQ(out->durable.number(), 1u);
  EXPECT_FALSE(store_.get("a"));
  EXPECT_EQ(store_.revision(), 0u);
  EXPECT_TRUE(store_.list(list_query{}).items.empty());
  EXPECT_TRUE(observer_.seen.empty());

  log_.make_durable_through(1);
  ASSERT_TRUE(store_.get("a"));
  EXPECT_EQ(store_.get("a")->val->bytes(), "1");
  EXPECT_EQ(store_.revision(), 1u);
  EXPECT_EQ(observer_.seen, std::vector<std::string>{"a@1"});
}

TEST_F(staging_test, later_commits_are_decided_against_staged_ones) {
  ASSERT_TRUE(store_.commit(put("k", "v1")));
  // The second write sees the first: the CAS on revision 1 holds, one on 0 (absent) fails.
  const auto failed = store_.commit(cas("k", 0, "lost"));
  ASSERT_TRUE(failed);
  EXPECT_FALSE(failed->applied);
  ASSERT_TRUE(failed->failed_current);
  EXPECT_EQ(failed->failed_current->mod_revision, 1u);
  // ... and its answer waits for what it saw to be durable.
  EXPECT_EQ(failed->durable.number(), 1u);
  const auto won = store_.commit(cas("k", 1, "v2"));
  ASSERT_TRUE(won && won->applied);
  EXPECT_EQ(won->revision, 2u);
  ASSERT_TRUE(won->results[0].previous);
  EXPECT_EQ(won->results[0].previous->val->bytes(), "v1");
  EXPECT_FALSE(won->results[0].created);

  log_.make_durable_through(1);
  EXPECT_EQ(store_.get("k")->val->bytes(), "v1");
  log_.make_durable_through(2);
  const auto e = store_.get("k");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->val->bytes(), "v2");
  EXPECT_EQ(e->version, 2u);
  EXPECT_EQ(e->create_revision, 1u);
  EXPECT_EQ(observer_.seen, (std::vector<std::string>{"k@1", "k@2"}));
}

TEST_F(staging_test, a_staged_delete_hides_nothing_until_durable) {
  ASSERT_TRUE(store_.commit(put("d", "x")));
  log_.make_durable_through(1);
  commit_request del;
  del.ops.push_back({operation::kind::erase, "d", nullptr});
  const auto out = store_.commit(del);
  ASSERT_TRUE(out && out->applied);
  EXPECT_TRUE(out->results[0].changed);
  EXPECT_TRUE(store_.get("d")) << "the delete is not durable yet";
  EXPECT_FALSE(store_.commit(cas("d", 1, "y"))->applied) << "but the next commit sees it";
  log_.make_durable_through(2);
  EXPECT_FALSE(store_.get("d"));
  EXPECT_EQ(store_.stats().keys, 0u);
}

TEST_F(staging_test, commits_never_made_durable_are_never_seen) {
  ASSERT_TRUE(store_.commit(put("x", "1")));
  ASSERT_TRUE(store_.commit(put("y", "2")));
  // The log fails: no durability for either, later appends are refused.
  log_.refuse = true;
  EXPECT_FALSE(store_.commit(put("z", "3")));
  EXPECT_FALSE(store_.get("x"));
  EXPECT_FALSE(store_.get("y"));
  EXPECT_FALSE(store_.get("z"));
  EXPECT_EQ(store_.revision(), 0u);
  EXPECT_TRUE(observer_.seen.empty());
}

TEST_F(staging_test, a_read_only_batch_waits_for_the_staged_state_it_read) {
  ASSERT_TRUE(store_.commit(put("r", "staged")));
  commit_request get;
  get.ops.push_back({operation::kind::get, "r", nullptr});
  const auto out = store_.commit(get);
  ASSERT_TRUE(out && out->applied);
  ASSERT_TRUE(out->results[0].previous);
  EXPECT_EQ(out->results[0].previous->val->bytes(), "staged");
  EXPECT_EQ(out->durable.number(), 1u);
  EXPECT_EQ(out->revision, 1u);
  log_.make_durable_through(1);
  EXPECT_EQ(store_.commit(get)->durable.number(), 0u) << "nothing staged: nothing to wait for";
}

TEST_F(staging_test, the_checkpoint_revision_includes_staged_commits) {
  ASSERT_TRUE(store_.commit(put("c", "1")));
  std::uint64_t at = 0;
  store_.checkpoint([&](std::uint64_t r) { at = r; });
  EXPECT_EQ(at, 1u);
  EXPECT_EQ(store_.revision(), 0u);
}

}  // namespace
}  // namespace livekv::store
