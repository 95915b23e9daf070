// http/credentials: where a request's bearer token is found (Authorization, the WebSocket
// subprotocol bearer.<token> on an upgrade, access_token on an event-stream request, and nowhere
// else), and the redaction of access_token in logged targets.
#include "livekv/http/credentials.hpp"

#include <gtest/gtest.h>

#include <string>

namespace livekv::http {
namespace {

request make(std::string target, std::initializer_list<std::pair<field, std::string>> fields = {}) {
  request req{verb::get, target, 11};
  for (const auto& [f, v] : fields) req.set(f, v);
  return req;
}

std::string_view query_of(const request& req) {
  const auto t = req.target();
  const auto q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : std::string_view(t.data() + q + 1, t.size() - q - 1);
}

request upgrade(std::string protocols) {
  return make("/wal", {{field::connection, "Upgrade"},
                       {field::upgrade, "websocket"},
                       {field::sec_websocket_version, "13"},
                       {field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ=="},
                       {field::sec_websocket_protocol, std::move(protocols)}});
}

TEST(credentials, a_bearer_authorization_header_carries_the_token_whatever_the_scheme_case) {
  for (const char* header : {"Bearer abc", "bearer abc", "BEARER abc", "  Bearer   abc  "}) {
    const auto req = make("/v1/kv/k", {{field::authorization, header}});
    const auto c = find_credential(req, query_of(req));
    ASSERT_TRUE(c) << header;
    EXPECT_EQ(c->token, "abc") << header;
    EXPECT_EQ(c->from, credential::source::header);
  }
}

TEST(credentials, another_scheme_or_an_empty_bearer_is_no_token_and_is_not_combined_with_others) {
  for (const char* header : {"Basic YTpi", "Bearer", "Bearer ", "Bearerabc", "Token abc"}) {
    const auto req = make("/v1/watch?access_token=t", {{field::authorization, header}, {field::accept, "text/event-stream"}});
    EXPECT_FALSE(find_credential(req, query_of(req))) << header;
  }
}

TEST(credentials, a_websocket_upgrade_carries_the_token_as_the_bearer_subprotocol_to_echo) {
  const auto req = upgrade("livekv.v1, bearer.tok-123");
  const auto c = find_credential(req, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->token, "tok-123");
  EXPECT_EQ(c->from, credential::source::subprotocol);
  EXPECT_EQ(c->subprotocol, "bearer.tok-123");
  EXPECT_FALSE(find_credential(upgrade("livekv.v1"), {}));
  EXPECT_FALSE(find_credential(upgrade("bearer."), {})) << "an empty token is none";
}

TEST(credentials, the_subprotocol_counts_only_on_an_upgrade) {
  const auto req = make("/wal", {{field::sec_websocket_protocol, "bearer.tok"}});
  EXPECT_FALSE(find_credential(req, {}));
}

TEST(credentials, access_token_counts_only_on_a_request_that_accepts_an_event_stream) {
  const auto sse = make("/v1/watch?prefix=a&access_token=t%2Bk", {{field::accept, "text/event-stream"}});
  const auto c = find_credential(sse, query_of(sse));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->token, "t+k") << "percent-decoded";
  EXPECT_EQ(c->from, credential::source::query);
  const auto plain = make("/v1/kv/k?access_token=t");
  EXPECT_FALSE(find_credential(plain, query_of(plain)));
  const auto json = make("/v1/kv/k?access_token=t", {{field::accept, "application/json"}});
  EXPECT_FALSE(find_credential(json, query_of(json)));
  const auto empty = make("/v1/watch?access_token=", {{field::accept, "text/event-stream"}});
  EXPECT_FALSE(find_credential(empty, query_of(empty)));
}

TEST(credentials, redact_target_hides_every_access_token_value_and_keeps_the_rest) {
  EXPECT_EQ(redact_target("/v1/watch?access_token=secret"), "/v1/watch?access_token=REDACTED");
  EXPECT_EQ(redact_target("/v1/watch?prefix=a&access_token=secret&since=3"),
            "/v1/watch?prefix=a&access_token=REDACTED&since=3");
  EXPECT_EQ(redact_target("/v1/watch?access_token=a&access_token=b"),
            "/v1/watch?access_token=REDACTED&access_token=REDACTED");
  EXPECT_EQ(redact_target("/v1/watch?access_token"), "/v1/watch?access_token=REDACTED");
}

TEST(credentials, redact_target_leaves_targets_without_access_token_alone) {
  EXPECT_EQ(redact_target("/v1/kv/k"), "/v1/kv/k");
  EXPECT_EQ(redact_target("/v1/kv?prefix=a&limit=3"), "/v1/kv?prefix=a&limit=3");
  EXPECT_EQ(redact_target("/v1/kv?my_access_token=x"), "/v1/kv?my_access_token=x") << "another parameter";
  EXPECT_EQ(redact_target("/v1/kv?access_tokens=x"), "/v1/kv?access_tokens=x") << "another parameter";
  EXPECT_EQ(redact_target("/v1/kv/access_token=x"), "/v1/kv/access_token=x") << "in the path, not the query";
}

}  // namespace
}  // namespace livekv::http
