// Options for jemalloc, which reads them once when it initializes, before main(). This file is
// compiled into the livekv binary only when it is linked with jemalloc (src/CMakeLists.txt).
//
// background_thread: jemalloc hands freed pages back to the kernel in small steps that it takes
// while the process allocates and frees, so an idle server keeps what a burst left behind. After
// 10,000 WebSocket subscribers had drunk a 5 s burst of writes and gone, VmRSS stayed at ~315 MiB
// (a 2 MiB history ring, no subscribers left); with jemalloc's background thread doing the purge it
// is back to 30 MiB within 20 s (redis turns the same thread on by default). The price: the
// thread, asleep when there is nothing to purge, and 5 B more per key right after loading 1 M keys
// (262 vs 257 B). jemalloc starts that thread with every signal blocked, so SIGINT/SIGTERM still
// reach only the io threads (see mask_stop_signals in server.hpp).
extern "C" {
extern const char* malloc_conf;  // jemalloc's interface: the executable's definition wins
const char* malloc_conf = "background_thread:true";
}
