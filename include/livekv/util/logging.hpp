#pragma once
#include <memory>
#include <string>

#include "livekv/status.hpp"
#include "livekv/util/log_settings.hpp"

namespace spdlog { class logger; }

namespace livekv::util {

// Sets the process's default logger (stderr) to `level`. `format` json writes one JSON object per
// line (ts, level, msg) for log shippers.
void setup_logging(log_level level, log_format format = log_format::text);

// The access log: an asynchronous logger (a background thread formats and writes; when it falls
// behind, the oldest lines are dropped rather than blocking a request). `dest` is stderr, stdout or
// a file path; "off" gives a null pointer. Errors: the file cannot be opened.
result<std::shared_ptr<spdlog::logger>> make_access_log(const std::string& dest, log_format format = log_format::text);

}  // namespace livekv::util
