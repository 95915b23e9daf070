#pragma once
// The web console page, embedded at build time: cmake/embed_console.cmake generates the definitions
// from src/console/index.html (the build reruns it whenever the page changes).
#include <string_view>

namespace livekv::handlers {

// The page's bytes (UTF-8 HTML with its CSS and script inline). Static storage; thread-safe.
std::string_view console_page() noexcept;
// "sha256-<base64>" of the page's one inline script, for Content-Security-Policy's script-src.
std::string_view console_script_hash() noexcept;
// The same of the page's one inline style sheet, for style-src.
std::string_view console_style_hash() noexcept;

}  // namespace livekv::handlers
