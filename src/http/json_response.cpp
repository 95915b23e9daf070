#include "livekv/http/json_response.hpp"

#include <nlohmann/json.hpp>

namespace livekv::http {

response make_json(http::status_code s, const nlohmann::ordered_json& body, unsigned version) {
  response res{s, version};
  res.set(field::content_type, "application/json");
  res.body().text = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  res.body().text += '\n';
  return res;
}

}  // namespace livekv::http
