#pragma once
// The HTTP message types every layer above the socket shares.
#include <boost/beast/http.hpp>

#include "livekv/http/payload_body.hpp"

namespace livekv::http {

namespace bhttp = boost::beast::http;
using request = bhttp::request<bhttp::string_body>;
using response = bhttp::response<payload_body>;
using bhttp::field;
using status_code = bhttp::status;  // an HTTP status code (livekv::status is an error value)
using bhttp::verb;

}  // namespace livekv::http
