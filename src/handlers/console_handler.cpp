#include "livekv/handlers/console_handler.hpp"

#include "livekv/handlers/console_page.hpp"

namespace livekv::handlers {

console_handler::console_handler()
    : page_(store::make_value(console_page(), "text/html; charset=utf-8")),
      // Nothing is allowed unless named (default-src 'none'). The page's own script and style sheet
      // are allowed by their hashes, not by 'self': the API serves any stored value from this
      // origin under the Content-Type its writer chose, so 'self' would let a stored
      // "application/javascript" value run as a script if markup ever slipped into the page.
      // connect-src: the page fetches /v1/ and opens ws(s)://<this host>/wal; older browsers do not
      // let 'self' cover ws: and wss:, hence the schemes. img-src: the page's icon is a data: URL.
      // frame-ancestors: the page has buttons that write and delete, so no other site may frame it
      // (clickjacking). No forms are submitted and no <base> is needed, so both are shut.
      csp_("default-src 'none'; script-src '" + std::string(console_script_hash()) + "'; style-src '" +
           std::string(console_style_hash()) +
           "'; connect-src 'self' ws: wss:; img-src 'self' data:; "
           "base-uri 'none'; form-action 'none'; frame-ancestors 'none'") {}

void console_handler::register_routes(http::router& r) {
  r.exact(http::verb::get, "/", http::access::open, [this](http::request_context& c) { return page(c); });
}

http::response console_handler::page(http::request_context& ctx) const {
  http::response res{http::status_code::ok, ctx.req.version()};
  res.set(http::field::content_type, page_->content_type());
  res.set("Content-Security-Policy", csp_);
  // Only the KV GET sets nosniff itself (no global default), so the page sets its own.
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  // Revalidate on every load: after an upgrade the browser must not keep running an old console
  // against a new server.
  res.set(http::field::cache_control, "no-cache");
  res.body().shared = http::shared_bytes(page_, page_->bytes());
  return res;
}

}  // namespace livekv::handlers
