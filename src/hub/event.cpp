#include "livekv/hub/event.hpp"

#include "livekv/util/base64.hpp"
#include "livekv/util/logging.hpp"
#include "livekv/util/utf8.hpp"

namespace livekv::hub {
namespace {

using op_kind = store::operation::kind;

void append_string(std::string& out, std::string_view name, std::string_view s) {
  out += ",\"";
  out += name;
  out += "\":\"";
  util::append_json_escaped(out, s);
  out += '"';
}

void append_number(std::string& out, std::string_view name, std::uint64_t n) {
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(n);
}

// ,"value":"…" (text) or ,"value_base64":"…" (bytes that are not UTF-8) or ,"truncated":true
// (too large to carry), then ,"size":N — the same text/base64 convention as the REST API.
void append_value(std::string& out, const store::value& v, std::size_t max_value_bytes) {
  if (v.bytes().size() > max_value_bytes) {
    out += ",\"truncated\":true";
  } else if (util::is_valid_utf8(v.bytes())) {
    append_string(out, "value", v.bytes());
  } else {
    append_string(out, "value_base64", util::base64_encode(v.bytes()));
  }
  append_number(out, "size", v.bytes().size());
}

void append_prev(std::string& out, const event_op& op, std::size_t max_value_bytes) {
  if (!op.prev) return;
  out += ",\"prev\":{";
  const auto start = out.size();
  append_value(out, *op.prev, max_value_bytes);
  out.erase(start, 1);  // the leading comma inside the object
  append_number(out, "mod_rev", op.prev_mod_rev);
  out += '}';
}

std::string_view op_name(op_kind k) {
  switch (k) {
    case op_kind::put: return "put";
    case op_kind::erase: return "delete";
    case op_kind::expire: return "expire";
    case op_kind::get: break;
  }
  return "get";
}

// The members describing one op after its "key": value for puts, prev when wanted.
void append_op_body(std::string& out, const event_op& op, bool with_prev, std::size_t max_value_bytes) {
  if (op.what == op_kind::put && op.val) {
    append_value(out, *op.val, max_value_bytes);
    if (op.version != 0) append_number(out, "version", op.version);
    if (op.expires_at_ms != 0) append_number(out, "expires_at", static_cast<std::uint64_t>(op.expires_at_ms));
  }
  // An expiry always says what expired; other ops only when the subscriber asked.
  if (with_prev || op.what == op_kind::expire) append_prev(out, op, max_value_bytes);
}

}  // namespace

std::string_view event_kind_name(event_kind k) noexcept {
  switch (k) {
    case event_kind::put: return "put";
    case event_kind::erase: return "delete";
    case event_kind::expire: return "expire";
    case event_kind::cas: return "cas";
    case event_kind::batch: return "batch";
    case event_kind::get: return "get";
    case event_kind::list: return "list";
  }
  return "put";
}

event::~event() {
  for (auto& slot : json_) delete slot.load(std::memory_order_relaxed);
}

const std::string& event::json(bool with_prev, std::size_t max_value_bytes) const {
  auto& slot = json_[with_prev ? 1 : 0];
  if (const std::string* s = slot.load(std::memory_order_acquire)) return *s;
  // Two subscribers may render at once: one wins the slot, the other drops its copy.
  auto* mine = new std::string(render(with_prev, max_value_bytes, nullptr));
  const std::string* expected = nullptr;
  if (slot.compare_exchange_strong(expected, mine, std::memory_order_acq_rel)) return *mine;
  delete mine;
  return *expected;
}

std::string event::json_subset(bool with_prev, std::size_t max_value_bytes, const std::vector<bool>& keep) const {
  return render(with_prev, max_value_bytes, &keep);
}

std::string event::render(bool with_prev, std::size_t max_value_bytes, const std::vector<bool>* keep) const {
  std::string out;
  out.reserve(96 + (ops.empty() ? 0 : ops[0].key.size() + std::min<std::size_t>(max_value_bytes, 256)));
  out += "{\"op\":\"";
  out += event_kind_name(kind);
  out += '"';
  switch (kind) {
    case event_kind::get:
      append_string(out, "key", subject);
      append_number(out, "ts", static_cast<std::uint64_t>(ts_ms));
      append_string(out, "client", client);
      out += found ? ",\"found\":true" : ",\"found\":false";
      break;
    case event_kind::list:
      append_string(out, "prefix", subject);
      append_number(out, "ts", static_cast<std::uint64_t>(ts_ms));
      append_string(out, "client", client);
      append_number(out, "count", count);
      break;
    case event_kind::batch:
      append_number(out, "rev", rev);
      append_number(out, "ts", static_cast<std::uint64_t>(ts_ms));
      out += ",\"ops\":[";
      for (std::size_t i = 0, n = 0; i < ops.size(); ++i) {
        if (keep && !(*keep)[i]) continue;
        if (n++) out += ',';
        out += "{\"op\":\"";
        out += op_name(ops[i].what);
        out += '"';
        append_string(out, "key", ops[i].key);
        append_op_body(out, ops[i], with_prev, max_value_bytes);
        out += '}';
      }
      out += ']';
      break;
    default:
      if (!ops.empty()) append_string(out, "key", ops[0].key);
      append_number(out, "rev", rev);
      append_number(out, "ts", static_cast<std::uint64_t>(ts_ms));
      if (!ops.empty()) {
        // A CAS that deleted (new = null) says so; other kinds are told by their name.
        if (kind == event_kind::cas && ops[0].what == op_kind::erase) out += ",\"deleted\":true";
        append_op_body(out, ops[0], with_prev, max_value_bytes);
      }
      break;
  }
  out += '}';
  return out;
}

std::size_t event::footprint() const noexcept {
  std::size_t n = sizeof(event) + subject.size() + client.size();
  for (const auto& op : ops) {
    n += sizeof(event_op) + op.key.size();
    if (op.val) n += op.val->bytes().size();
    if (op.prev) n += op.prev->bytes().size();
  }
  return n;
}

event_ptr make_write_event(const store::commit_request& req, const store::commit_outcome& out) {
  auto ev = std::make_shared<event>();
  ev->rev = out.revision;
  ev->ts_ms = out.time_ms;
  ev->ops.reserve(req.ops.size());
  for (std::size_t i = 0; i < req.ops.size(); ++i) {
    const auto& op = req.ops[i];
    if (op.what == op_kind::get) continue;
    const auto& res = out.results[i];
    event_op e;
    e.what = op.what;
    e.key = op.key;
    if (op.what == op_kind::put) {
      e.val = op.val;
      e.expires_at_ms = res.expires_at_ms;
      e.version = res.previous && !res.created ? res.previous->version + 1 : 1;
    }
    if (res.previous) {
      e.prev = res.previous->val;
      e.prev_mod_rev = res.previous->mod_revision;
    }
    ev->ops.push_back(std::move(e));
  }
  switch (req.origin) {
    case store::commit_request::kind::cas: ev->kind = event_kind::cas; break;
    case store::commit_request::kind::batch: ev->kind = event_kind::batch; break;
    case store::commit_request::kind::write:
      if (ev->ops.size() != 1) {
        ev->kind = event_kind::batch;
      } else {
        ev->kind = ev->ops[0].what == op_kind::put     ? event_kind::put
                   : ev->ops[0].what == op_kind::erase ? event_kind::erase
                                                       : event_kind::expire;
      }
      break;
  }
  return ev;
}

}  // namespace livekv::hub
