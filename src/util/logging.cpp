#include "livekv/util/logging.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include <spdlog/async.h>
#include <spdlog/sinks/base_sink.h>
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

// A log file that can be opened again under the same name. logrotate renames the file and sends
// SIGHUP; reopening then starts a new file where the old one was, and lines written in between went
// to the renamed one, so none is lost. (spdlog's basic_file_sink cannot reopen.)
class reopenable_file_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit reopenable_file_sink(std::string path) : path_(std::move(path)) {}
  ~reopenable_file_sink() override {
    if (file_) std::fclose(file_);
  }

  status open() {
    std::lock_guard lock(mutex_);
    return open_locked();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (!file_) return;
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), file_);
  }
  void flush_() override {
    if (file_) std::fflush(file_);
  }

 private:
  // On failure the file already open stays in use: a log going on in the renamed file beats none.
  status open_locked() {
    std::FILE* f = std::fopen(path_.c_str(), "ae");
    if (!f) return status(errc::internal, "cannot open the log file " + path_ + ": " + std::strerror(errno));
    if (file_) std::fclose(file_);
    file_ = f;
    return status::success();
  }

  std::string path_;
  std::FILE* file_ = nullptr;
};

// Every log file of the process, for reopen_log_files().
std::mutex files_mutex;
std::vector<std::shared_ptr<reopenable_file_sink>> files;

result<std::shared_ptr<reopenable_file_sink>> open_log_file(const std::string& path) {
  auto sink = std::make_shared<reopenable_file_sink>(path);
  if (auto s = sink->open(); !s) return s;
  std::lock_guard lock(files_mutex);
  files.push_back(sink);
  return sink;
}

}  // namespace

status reopen_log_files() {
  std::lock_guard lock(files_mutex);
  status outcome = status::success();
  for (const auto& f : files) {
    if (auto s = f->open(); !s) outcome = s;
  }
  return outcome;
}

status setup_logging(log_level level, log_format format, const std::optional<std::string>& file) {
  std::shared_ptr<spdlog::logger> logger;
  if (file) {
    auto sink = open_log_file(*file);
    if (!sink) return sink.error();
    logger = std::make_shared<spdlog::logger>("livekv", *sink);
  } else {
    logger = spdlog::stderr_logger_mt("livekv");
  }
  if (format == log_format::json) {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<json_message_flag>('*').set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
    logger->set_formatter(std::move(f));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog_level(level));
  // A file is flushed at once for warnings and worse, within a second otherwise (by spdlog's
  // periodic flusher, which the access log starts too), not on every line.
  if (file) {
    logger->flush_on(spdlog::level::warn);
    spdlog::flush_every(std::chrono::seconds(1));
  }
  return status::success();
}

result<std::shared_ptr<spdlog::logger>> make_access_log(const log_destination& dest, log_format format) {
  using kind = log_destination::kind;
  if (dest.where == kind::off) return std::shared_ptr<spdlog::logger>{};
  spdlog::init_thread_pool(8192, 1);
  std::shared_ptr<spdlog::logger> log;
  try {
    if (dest.where == kind::to_stderr)
      log = spdlog::create_async_nb<spdlog::sinks::stderr_sink_mt>("access");
    else if (dest.where == kind::to_stdout)
      log = spdlog::create_async_nb<spdlog::sinks::stdout_sink_mt>("access");
    else {
      auto sink = open_log_file(dest.path);
      if (!sink) return status(errc::internal, "cannot open the access log: " + sink.error().message());
      log = std::make_shared<spdlog::async_logger>("access", *sink, spdlog::thread_pool(),
                                                   spdlog::async_overflow_policy::overrun_oldest);
      spdlog::register_logger(log);
    }
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
