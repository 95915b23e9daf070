#include "livekv/auth/gate.hpp"

namespace livekv::auth {

std::string_view role_name(role r) noexcept {
  switch (r) {
    case role::read: return "read";
    case role::write: return "write";
    case role::admin: return "admin";
  }
  return "?";
}

status gate::open(std::string path) {
  auto t = token_table::load(path);
  if (!t) return t.error();
  {
    util::lock_guard lock(mutex_);
    table_ = std::make_shared<const token_table>(std::move(*t));
  }
  path_ = std::move(path);
  enabled_ = true;
  return status::success();
}

std::shared_ptr<const token_table> gate::current() const {
  util::lock_guard lock(mutex_);
  return table_;
}

status gate::reload() {
  auto t = token_table::load(path_);
  if (!t) return t.error();
  auto fresh = std::make_shared<const token_table>(std::move(*t));
  {
    util::lock_guard lock(mutex_);
    table_.swap(fresh);
  }
  // The old table dies here, or with the last request or stream still holding one of its principals.
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return status::success();
}

std::size_t gate::size() const { return current()->size(); }

result<principal_ptr> gate::admit(std::optional<std::string_view> token, std::optional<role> needed) const {
  if (!token || token->empty()) return status(errc::unauthorized, "this server requires a bearer token (Authorization: Bearer <token>)");
  auto table = current();
  const principal* p = table->authenticate(*token);
  if (!p) return status(errc::unauthorized, "the bearer token is not known to this server");
  if (needed && !p->may(*needed))
    return status(errc::forbidden, "the token '" + p->name() + "' lacks the " + std::string(role_name(*needed)) + " role");
  // Shares the table's ownership: the principal lives as long as whoever holds it.
  return principal_ptr(std::move(table), p);
}

standing gate::recheck(const principal& who, role needed) const {
  const auto table = current();
  const principal* now = table->find(who.hash());
  if (!now) return standing::revoked;
  if (!now->may(needed)) return standing::lost_role;
  if (now->prefixes() != who.prefixes()) return standing::rescoped;
  return standing::unchanged;
}

}  // namespace livekv::auth
