#include "livekv/util/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace livekv::util {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("livekv");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

result<std::shared_ptr<spdlog::logger>> make_access_log(const std::string& dest) {
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
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %v");
  log->set_level(spdlog::level::info);
  return log;
}

}  // namespace livekv::util
