// The server's event counters (in prometheus-cpp's Registry) and its scrape-time collector.
#include "livekv/server_metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "livekv/version.hpp"

namespace livekv {
namespace {

using prometheus::MetricFamily;

const MetricFamily* find(const std::vector<MetricFamily>& all, const std::string& name) {
  for (const auto& f : all)
    if (f.name == name) return &f;
  return nullptr;
}

class server_metrics_test : public ::testing::Test {
 protected:
  void commit(std::vector<store::operation> ops) {
    store::commit_request r;
    r.ops = std::move(ops);
    ASSERT_TRUE(store_.commit(r)->applied);
  }
  static store::operation put(const std::string& k) {
    return {store::operation::kind::put, k, store::make_value("v"), 0, 0};
  }

  prometheus::Registry reg_{prometheus::Registry::InsertBehavior::Throw};
  store::kv_store store_;
  server_state state_;
};

TEST_F(server_metrics_test, commits_count_once_and_their_operations_by_kind) {
  auto m = server_metrics::make(reg_, store_, state_, nullptr);
  ASSERT_TRUE(m);
  store_.add_observer(m->get());
  commit({put("a")});
  commit({put("b"), put("c"), {store::operation::kind::erase, "a", nullptr, 0, 0}});

  const auto events = reg_.Collect();
  ASSERT_NE(find(events, "livekv_commits_total"), nullptr);
  EXPECT_EQ(find(events, "livekv_commits_total")->metric.at(0).counter.value, 2);
  const auto* writes = find(events, "livekv_writes_total");
  ASSERT_NE(writes, nullptr);
  ASSERT_EQ(writes->metric.size(), 3u);  // put, delete and expire exist from the start
  for (const auto& w : writes->metric) {
    const std::string& op = w.label.at(0).value;
    EXPECT_EQ(w.counter.value, op == "put" ? 3 : op == "delete" ? 1 : 0) << op;
  }
  const auto* info = find(events, "livekv_build_info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->metric.at(0).label.at(0).value, livekv::version);
  EXPECT_EQ(info->metric.at(0).gauge.value, 1);
  EXPECT_EQ(find(events, "livekv_log_fsync_duration_seconds"), nullptr);  // --in-memory: no log

  const auto values = (*m)->Collect();
  EXPECT_EQ(find(values, "livekv_keys")->metric.at(0).gauge.value, 2);
  EXPECT_EQ(find(values, "livekv_revision")->metric.at(0).gauge.value, 2);
  EXPECT_EQ(find(values, "livekv_log_bytes"), nullptr);
  EXPECT_EQ(find(values, "livekv_feed_subscribers"), nullptr);  // no hub
}

TEST_F(server_metrics_test, ready_is_1_only_while_serving) {
  auto m = server_metrics::make(reg_, store_, state_, nullptr);
  ASSERT_TRUE(m);
  const auto ready = [&] { return find((*m)->Collect(), "livekv_ready")->metric.at(0).gauge.value; };
  EXPECT_EQ(ready(), 0);
  state_.ready = true;
  EXPECT_EQ(ready(), 1);
  state_.draining = true;
  EXPECT_EQ(ready(), 0);
}

TEST_F(server_metrics_test, expirations_are_counted_with_their_lag) {
  auto m = server_metrics::make(reg_, store_, state_, nullptr);
  ASSERT_TRUE(m);
  (*m)->on_expired(3);
  (*m)->on_fsync(0.01);  // no log: ignored
  const auto events = reg_.Collect();
  EXPECT_EQ(find(events, "livekv_expired_keys_total")->metric.at(0).counter.value, 1);
  const auto& lag = find(events, "livekv_expiry_lag_seconds")->metric.at(0).histogram;
  EXPECT_EQ(lag.sample_count, 1u);
  EXPECT_DOUBLE_EQ(lag.sample_sum, 0.003);
  EXPECT_EQ(lag.bucket.at(1).upper_bound, 0.002);
  EXPECT_EQ(lag.bucket.at(1).cumulative_count, 0u);
  EXPECT_EQ(lag.bucket.at(2).cumulative_count, 1u);  // 3 ms <= 4 ms
}

TEST_F(server_metrics_test, a_second_registration_in_one_registry_is_an_error_value) {
  ASSERT_TRUE(server_metrics::make(reg_, store_, state_, nullptr));
  auto again = server_metrics::make(reg_, store_, state_, nullptr);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), errc::internal);
}

}  // namespace
}  // namespace livekv
