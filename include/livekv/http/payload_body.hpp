#pragma once
// A Beast body for responses that is either text the handler built (JSON) or bytes shared with
// their owner (a stored value). Serving a value therefore copies no bytes: the response holds a
// reference to the immutable value until the socket write completes.
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "livekv/http/shared_bytes.hpp"

namespace livekv::http {

struct payload_body {
  struct value_type {
    std::string text;
    shared_bytes shared;  // when set, the body is shared.view() and `text` is unused

    std::string_view view() const noexcept { return shared ? shared.view() : std::string_view(text); }
    void clear() noexcept {
      text.clear();
      shared.reset();
    }
  };

  static std::uint64_t size(const value_type& v) noexcept { return v.view().size(); }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool is_request, class Fields>
    writer(const boost::beast::http::header<is_request, Fields>&, const value_type& v) : body_(v) {}

    void init(boost::beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      ec = {};
      const auto v = body_.view();
      return {{boost::asio::const_buffer(v.data(), v.size()), false}};
    }

   private:
    const value_type& body_;
  };
};

}  // namespace livekv::http
