// The --auth-file parser on untrusted text (a file an operator edits by hand): token_table::parse
// must answer every text with a table or an error naming the place, never throw or crash.
#include "fuzz_support.hpp"
#include "livekv/auth/token_table.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace livekv;
  const auto text = fuzz::as_text(data, size);
  const auto table = auth::token_table::parse(text, "tokens.json");
  if (!table) return 0;
  // A parsed table answers lookups: the text itself as a token, and the empty token.
  for (const std::string_view token : {text, std::string_view()}) {
    if (const auth::principal* p = table->authenticate(token)) {
      (void)p->covers(token);
      (void)p->scope_of(token);
    }
  }
  return 0;
}
