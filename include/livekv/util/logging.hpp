#pragma once
#include <memory>
#include <string>

#include "livekv/status.hpp"

namespace spdlog { class logger; }

namespace livekv::util {

// Sets the process's default logger (stderr) to `level`.
void setup_logging(const std::string& level);

// The access log: an asynchronous logger (a background thread formats and writes; when it falls
// behind, the oldest lines are dropped rather than blocking a request). `dest` is stderr, stdout or
// a file path; "off" gives a null pointer. Errors: the file cannot be opened.
result<std::shared_ptr<spdlog::logger>> make_access_log(const std::string& dest);

}  // namespace livekv::util
