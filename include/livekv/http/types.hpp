#pragma once
// The HTTP message types every layer above the socket shares.
#include <boost/beast/http.hpp>

#include "livekv/http/payload_body.hpp"

namespace livekv::http {

namespace bhttp = boost::beast::http;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<payload_body>;
using bhttp::field;
using bhttp::status;
using bhttp::verb;

}  // namespace livekv::http
