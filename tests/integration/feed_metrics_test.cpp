// The live feed's metrics and /status section, against the real binary: subscribers, events
// published and sent, and a subscriber that stops reading being cut off, counted as dropped.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "support/raw_socket.hpp"
#include "support/metrics_text.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

class feed_metrics_test : public server_test {
 protected:
  // A short progress interval makes the hub's lag check come quickly; a small queue makes a
  // stalled subscriber overflow after a few hundred writes.
  feed_metrics_test()
      : server_test({"--in-memory", "--feed-progress", "100ms", "--feed-queue-messages", "200",
                     "--feed-max-value-bytes", "64KiB"}) {}

  std::string scrape() { return client().get("/metrics").body; }

  // Opens an SSE watch and waits for its first progress event: the subscription is live then.
  std::unique_ptr<raw_socket> watch(const std::string& target) {
    auto s = std::make_unique<raw_socket>(server_.port());
    EXPECT_TRUE(s->connected()) << s->error();
    EXPECT_TRUE(s->send("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const auto head = s->read_until("event: progress\ndata: ");
    EXPECT_TRUE(head.has_value());
    if (head) {
      EXPECT_NE(head->find("text/event-stream"), std::string::npos) << *head;
    }
    return s;
  }
};

TEST_F(feed_metrics_test, subscribers_and_published_events_are_counted) {
  auto a = watch("/v1/watch");
  auto b = watch("/v1/watch?prefix=x");
  auto m = scrape();
  EXPECT_EQ(sample(m, "livekv_feed_subscribers"), 2.0) << m;
  EXPECT_EQ(sample(m, "livekv_feed_events_published_total"), 0.0);

  ASSERT_EQ(client().put("/v1/kv/a", "1").status, 201);
  ASSERT_EQ(client().put("/v1/kv/x1", "2").status, 201);
  ASSERT_TRUE(a->read_until("\"key\":\"x1\"").has_value());
  ASSERT_TRUE(b->read_until("\"key\":\"x1\"").has_value());
  // Two progress bookmarks, then a and x1 to the first subscriber and x1 to the second (at least:
  // idle bookmarks may follow). A message is counted once its write completes, which may be just
  // after the client has read it.
  for (int i = 0; i < 200 && sample(scrape(), "livekv_feed_messages_sent_total") < 5.0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  m = scrape();
  EXPECT_GE(*sample(m, "livekv_feed_messages_sent_total"), 5.0) << m;
  EXPECT_EQ(sample(m, "livekv_feed_events_published_total"), 2.0) << m;
  EXPECT_EQ(sample(m, "livekv_feed_read_subscribers"), 0.0);

  const auto status = nlohmann::json::parse(client().get("/status").body);
  EXPECT_EQ(status["feed"]["subscribers"], 2);
  EXPECT_EQ(status["feed"]["head_revision"], 2);
  EXPECT_EQ(status["feed"]["events_published"], 2);

  a.reset();  // the server sees the close and forgets the subscriber
  for (int i = 0; i < 200 && sample(scrape(), "livekv_feed_subscribers") != 1.0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(sample(scrape(), "livekv_feed_subscribers"), 1.0);
}

TEST_F(feed_metrics_test, a_subscriber_that_stops_reading_is_cut_off_and_counted) {
  auto stalled = watch("/v1/watch");
  // 600 writes of 32 KiB, each carried whole in its event: far more than --feed-queue-messages
  // 200, and ~19 MiB, more than loopback socket buffers hold, so the stalled reader falls behind.
  // Every write succeeds: nobody waits for it.
  const std::string value(32 * 1024, 'v');
  for (int i = 0; i < 600; ++i) ASSERT_EQ(client().put("/v1/kv/k" + std::to_string(i), value).status, 201);

  std::optional<double> cut;
  for (int i = 0; i < 400; ++i) {
    cut = sample(scrape(), "livekv_feed_lag_disconnects_total");
    if (cut == 1.0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_EQ(cut, 1.0);
  const auto m = scrape();
  EXPECT_GT(*sample(m, "livekv_feed_events_dropped_total"), 0.0) << m;
  EXPECT_EQ(sample(m, "livekv_feed_events_published_total"), 600.0);

  // What it still reads ends with the overflow event naming where to resume, then the close.
  const auto rest = stalled->read_until_close(std::chrono::seconds(20));
  EXPECT_TRUE(rest.closed);
  EXPECT_NE(rest.data.find("event: overflow\ndata: {\"op\":\"overflow\",\"last_rev\":"), std::string::npos)
      << rest.data.substr(rest.data.size() > 300 ? rest.data.size() - 300 : 0);
}

}  // namespace
}  // namespace livekv::test
