#include "livekv/util/service_notify.hpp"

#include <string>

#include <systemd/sd-daemon.h>

namespace livekv::util {
namespace {

// unset_environment 0: the variables stay for the whole process's life, since the notifications
// come at several times (ready, reload, watchdog, stopping).
void send(const std::string& state) { sd_notify(0, state.c_str()); }

}  // namespace

void notify_ready(std::string_view status_text) { send("READY=1\nSTATUS=" + std::string(status_text)); }

void notify_reloading() { send("RELOADING=1\nSTATUS=reloading (SIGHUP)"); }

void notify_reloaded() { send("READY=1\nSTATUS=serving (reloaded)"); }

void notify_stopping(std::string_view status_text) { send("STOPPING=1\nSTATUS=" + std::string(status_text)); }

void notify_watchdog() { send("WATCHDOG=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace livekv::util
