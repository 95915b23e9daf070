#include "livekv/util/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include "livekv/util/json_text.hpp"

namespace livekv::util {

namespace {

// %* in a pattern: the message, escaped for a JSON string (spdlog's %v is not).
class json_message_flag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string escaped;
    append_json_escaped(escaped, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<json_message_flag>(); }
};

spdlog::level::level_enum spdlog_level(log_level level) {
  switch (level) {
    case log_level::trace: return spdlog::level::trace;
    case log_level::debug: return spdlog::level::debug;
    case log_level::info: return spdlog::level::info;
    case log_level::warn: return spdlog::level::warn;
    case log_level::error: return spdlog::level::err;
    case log_level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void setup_logging(log_level level, log_format format) {
  auto logger = spdlog::stderr_logger_mt("livekv");
  if (format == log_format::json) {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<json_message_flag>('*').set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
    logger->set_formatter(std::move(f));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog_level(level));
}

result<std::shared_ptr<spdlog::logger>> make_access_log(const std::string& dest, log_format format) {
  if (dest == "off") return std::shared_ptr<spdlog::logger>{};
  spdlog::init_thread_pool(8192, 1);
  std::shared_ptr<spdlog::logger> log;
  try {
    if (dest == "stderr")
      log = spdlog::create_async_nb<spdlog::sinks::stderr_sink_mt>("access");
    else if (dest == "stdout")
      log = spdlog::create_async_nb<spdlog::sinks::stdout_sink_mt>("access");
    else
      log = spdlog::create_async_nb<spdlog::sinks::basic_file_sink_mt>("access", dest);
  } catch (const spdlog::spdlog_ex& e) {
    return status(errc::internal, std::string("cannot open the access log: ") + e.what());
  }
  // JSON lines are complete objects built by the session (with their own timestamp).
  log->set_pattern(format == log_format::json ? "%v" : "%Y-%m-%dT%H:%M:%S.%e%z %v");
  log->set_level(spdlog::level::info);
  // Lines reach the file within a second, flushed by spdlog's own thread, never by a request.
  spdlog::flush_every(std::chrono::seconds(1));
  return log;
}

}  // namespace livekv::util
