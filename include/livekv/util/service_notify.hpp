#pragma once
// Tells the service manager how the server is doing: systemd's sd_notify protocol (a datagram to
// $NOTIFY_SOCKET), which a unit with Type=notify waits on. Without $NOTIFY_SOCKET (a shell, a
// container, a test) every call does nothing, at the cost of one getenv.
#include <chrono>
#include <optional>
#include <string_view>

namespace livekv::util {

// READY=1: the data is recovered and the port serves. `status_text` is what `systemctl status`
// shows beside the unit.
void notify_ready(std::string_view status_text);
// RELOADING=1 before a SIGHUP reload, READY=1 after it.
void notify_reloading();
void notify_reloaded();
// STOPPING=1: draining for shutdown.
void notify_stopping(std::string_view status_text);
// WATCHDOG=1: still alive; due every watchdog_interval().
void notify_watchdog();
// The unit's WatchdogSec (WATCHDOG_USEC, meant for this process), or nullopt when none is set.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace livekv::util
