#include "livekv/http/router.hpp"

#include <algorithm>

namespace livekv::http {

void router::exact(verb method, std::string path, access needs, handler h, std::size_t max_body) {
  routes_.push_back({method, std::move(path), false, std::move(h), max_body, needs});
}

void router::prefix(verb method, std::string path_prefix, access needs, handler h, std::size_t max_body) {
  routes_.push_back({method, std::move(path_prefix), true, std::move(h), max_body, needs});
}

router::match router::find(verb method, std::string_view path) const {
  // The path's resource is the exact route if there is one, else the longest matching prefix;
  // every verb registered for that same resource counts for the Allow header.
  const route* best = nullptr;
  for (const auto& r : routes_) {
    const bool hit = r.is_prefix ? path.starts_with(r.path) : path == r.path;
    if (!hit) continue;
    if (!best || (!r.is_prefix && best->is_prefix) ||
        (r.is_prefix == best->is_prefix && r.path.size() > best->path.size()))
      best = &r;
  }
  match m;
  if (!best) {
    m.error = errc::route_not_found;
    return m;
  }
  const auto same_resource = [&](const route& r) { return r.is_prefix == best->is_prefix && r.path == best->path; };
  const route* get_route = nullptr;
  std::vector<verb> allowed;
  for (const auto& r : routes_) {
    if (!same_resource(r)) continue;
    allowed.push_back(r.method);
    if (r.method == method) {
      m.target = &r.h;
      m.max_body = r.max_body;
      m.needs = r.needs;
      m.index = static_cast<std::size_t>(&r - routes_.data());
    }
    if (r.method == verb::get) get_route = &r;
  }
  if (!m.target && method == verb::head && get_route) {
    m.target = &get_route->h;
    m.max_body = get_route->max_body;
    m.needs = get_route->needs;
    m.index = static_cast<std::size_t>(get_route - routes_.data());
  }
  if (m.target) {
    if (best->is_prefix) m.rest = path.substr(best->path.size());
    return m;
  }
  if (get_route && std::find(allowed.begin(), allowed.end(), verb::head) == allowed.end())
    allowed.push_back(verb::head);
  m.error = errc::method_not_allowed;
  for (const verb v : allowed) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += std::string(boost::beast::http::to_string(v));
  }
  return m;
}

}  // namespace livekv::http

namespace livekv::http {

std::string router::label(std::size_t index) const {
  if (index >= routes_.size()) return "none";
  const route& r = routes_[index];
  return r.is_prefix ? r.path + "{key}" : r.path;
}

}  // namespace livekv::http
