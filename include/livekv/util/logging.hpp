#pragma once
#include <memory>
#include <optional>
#include <string>

#include "livekv/status.hpp"
#include "livekv/util/log_settings.hpp"

namespace spdlog { class logger; }

namespace livekv::util {

// Sets the process's default logger to `level`, writing to stderr, or appending to `file` if given.
// `format` json writes one JSON object per line (ts, level, msg) for log shippers. Errors: the file
// cannot be opened.
status setup_logging(log_level level, log_format format = log_format::text,
                     const std::optional<std::string>& file = std::nullopt);

// Opens every log file (server log, access log) again under its name: after logrotate renamed it,
// writing goes on in a new file. A file that cannot be opened keeps the old one and the error says
// which. SIGHUP calls it.
status reopen_log_files();

// The access log: an asynchronous logger (a background thread formats and writes; when it falls
// behind, the oldest lines are dropped rather than blocking a request). `dest` is stderr, stdout or
// a file (appended to, and reopened by reopen_log_files); off gives a null pointer. Errors: the
// file cannot be opened.
result<std::shared_ptr<spdlog::logger>> make_access_log(const log_destination& dest,
                                                        log_format format = log_format::text);

}  // namespace livekv::util
