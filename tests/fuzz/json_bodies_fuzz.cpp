// The JSON request bodies on untrusted text, through the real handlers over an in-memory store:
// POST /v1/batch (conditions and operations), POST /v1/cas/{key}, POST /v1/watch (a key list) and
// the watch filter of GET /v1/watch's query. A batch and a CAS are sent twice, so the second
// meets the state the first left (conditions that hold, values that match).
//
// Input: a selector byte (its value mod 4: batch, cas, watch keys, watch query), then one line
// (the query; for cas the key as in the path, then optionally ?query), then the body.
#include <spdlog/spdlog.h>

#include "fuzz_support.hpp"
#include "handler_world.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace livekv;
  if (size == 0) return 0;
  const auto rest = fuzz::as_text(data + 1, size - 1);
  const auto eol = rest.find('\n');
  const std::string_view line = rest.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);

  std::string target;
  http::verb method = http::verb::post;
  int times = 1;
  switch (data[0] % 4) {
    case 0: target = "/v1/batch?", times = 2; break;
    case 1: target = "/v1/cas/", times = 2; break;
    case 2: target = "/v1/watch?"; break;
    default: target = "/v1/watch?", method = http::verb::get; break;
  }
  target += line;
  fuzz::handler_world world;
  for (int i = 0; i < times; ++i) {
    http::request req{method, target, 11};
    req.set(http::field::host, "fuzz");
    req.body() = std::string(body);
    req.prepare_payload();
    (void)world.serve(req);
  }
  return 0;
}
