#include "livekv/hub/event.hpp"

#include "livekv/util/base64.hpp"
#include "livekv/util/json_text.hpp"
#include "livekv/util/utf8.hpp"

namespace livekv::hub {
namespace {

using op_kind = store::operation::kind;

// "value":"…" (text) or "value_base64":"…" (bytes that are not UTF-8) or "truncated":true (too
// large to carry), then "size":N — the same text/base64 convention as the REST API.
void write_value(util::json_writer& w, const store::value& v, std::size_t max_value_bytes) {
  if (v.bytes().size() > max_value_bytes) {
    w.boolean("truncated", true);
  } else if (util::is_valid_utf8(v.bytes())) {
    w.string("value", v.bytes());
  } else {
    w.string("value_base64", util::base64_encode(v.bytes()));
  }
  w.number("size", v.bytes().size());
}

void write_prev(util::json_writer& w, const event_op& op, std::size_t max_value_bytes) {
  if (!op.prev) return;
  w.begin_object("prev");
  write_value(w, *op.prev, max_value_bytes);
  w.number("mod_rev", op.prev_mod_rev);
  w.end_object();
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
void write_op_body(util::json_writer& w, const event_op& op, bool with_prev, std::size_t max_value_bytes) {
  if (op.what == op_kind::put && op.val) {
    write_value(w, *op.val, max_value_bytes);
    if (op.version != 0) w.number("version", op.version);
    if (op.expires_at_ms != 0) w.number("expires_at", static_cast<std::uint64_t>(op.expires_at_ms));
  }
  // An expiry always says what expired; other ops only when the subscriber asked.
  if (with_prev || op.what == op_kind::expire) write_prev(w, op, max_value_bytes);
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
  util::json_writer w(out);
  w.begin_object().string("op", event_kind_name(kind));
  switch (kind) {
    case event_kind::get:
      w.string("key", subject).number("ts", static_cast<std::uint64_t>(ts_ms)).string("client", client);
      w.boolean("found", found);
      break;
    case event_kind::list:
      w.string("prefix", subject).number("ts", static_cast<std::uint64_t>(ts_ms)).string("client", client);
      w.number("count", count);
      break;
    case event_kind::batch:
      w.number("rev", rev).number("ts", static_cast<std::uint64_t>(ts_ms)).begin_array("ops");
      for (std::size_t i = 0; i < ops.size(); ++i) {
        if (keep && !(*keep)[i]) continue;
        w.begin_object().string("op", op_name(ops[i].what)).string("key", ops[i].key);
        write_op_body(w, ops[i], with_prev, max_value_bytes);
        w.end_object();
      }
      w.end_array();
      break;
    default:
      if (!ops.empty()) w.string("key", ops[0].key);
      w.number("rev", rev).number("ts", static_cast<std::uint64_t>(ts_ms));
      if (!ops.empty()) {
        // A CAS that deleted (new = null) says so; other kinds are told by their name.
        if (kind == event_kind::cas && ops[0].what == op_kind::erase) w.boolean("deleted", true);
        write_op_body(w, ops[0], with_prev, max_value_bytes);
      }
      break;
  }
  w.end_object();
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
