#include "livekv/wal/commit_codec.hpp"

#include "livekv/util/byte_coding.hpp"

namespace livekv::wal {
namespace {

// Format 1 (session 1) had no origin byte; it is still read, as origin "write".
constexpr std::uint8_t format_v1 = 1;
constexpr std::uint8_t format_v2 = 2;

std::uint8_t kind_code(store::operation::kind k) {
  switch (k) {
    case store::operation::kind::put: return 1;
    case store::operation::kind::erase: return 2;
    case store::operation::kind::expire: return 3;
    case store::operation::kind::get: break;
  }
  return 0;
}

}  // namespace

void encode_commit(std::string& out, const store::logged_commit& c) {
  out.push_back(static_cast<char>(format_v2));
  util::put_fixed<std::uint64_t>(out, c.term);
  util::put_fixed<std::uint64_t>(out, c.index);
  util::put_fixed<std::uint64_t>(out, c.revision);
  util::put_fixed<std::uint64_t>(out, static_cast<std::uint64_t>(c.time_ms));
  out.push_back(static_cast<char>(c.origin));
  util::put_fixed<std::uint32_t>(out, static_cast<std::uint32_t>(c.ops.size()));
  for (const auto& op : c.ops) {
    out.push_back(static_cast<char>(kind_code(op.what)));
    util::put_bytes32(out, op.key);
    if (op.what == store::operation::kind::put) {
      util::put_fixed<std::uint64_t>(out, static_cast<std::uint64_t>(op.expires_at_ms));
      util::put_bytes32(out, op.val->content_type());
      util::put_bytes32(out, op.val->bytes());
    }
  }
}

result<store::replayed_commit> decode_commit(std::string_view payload) {
  const auto bad = [](const char* what) { return status(errc::internal, std::string("malformed commit record: ") + what); };
  util::byte_reader r(payload);
  const auto format = r.fixed<std::uint8_t>();
  if (!format || (*format != format_v1 && *format != format_v2)) return bad("unknown format version");
  store::replayed_commit c;
  const auto term = r.fixed<std::uint64_t>();
  const auto index = r.fixed<std::uint64_t>();
  const auto rev = r.fixed<std::uint64_t>();
  const auto time = r.fixed<std::uint64_t>();
  if (*format == format_v2) {
    const auto origin = r.fixed<std::uint8_t>();
    if (!origin || *origin > static_cast<std::uint8_t>(store::commit_request::kind::batch)) return bad("bad origin");
    c.origin = static_cast<store::commit_request::kind>(*origin);
  }
  const auto count = r.fixed<std::uint32_t>();
  if (!term || !index || !rev || !time || !count) return bad("truncated header");
  c.term = *term;
  c.index = *index;
  c.revision = *rev;
  c.time_ms = static_cast<std::int64_t>(*time);
  c.ops.reserve(std::min<std::uint32_t>(*count, 4096));
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto kind = r.fixed<std::uint8_t>();
    const auto key = r.bytes32();
    if (!kind || !key) return bad("truncated operation");
    store::replayed_op op;
    op.key = std::string(*key);
    switch (*kind) {
      case 1: {
        op.what = store::operation::kind::put;
        const auto expires = r.fixed<std::uint64_t>();
        const auto ct = r.bytes32();
        const auto val = r.bytes32();
        if (!expires || !ct || !val) return bad("truncated put");
        op.expires_at_ms = static_cast<std::int64_t>(*expires);
        op.val = store::make_value(*val, *ct);
        break;
      }
      case 2: op.what = store::operation::kind::erase; break;
      case 3: op.what = store::operation::kind::expire; break;
      default: return bad("unknown operation kind");
    }
    c.ops.push_back(std::move(op));
  }
  if (!r.empty()) return bad("trailing bytes");
  return c;
}

}  // namespace livekv::wal
