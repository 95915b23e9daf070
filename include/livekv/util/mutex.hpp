#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "livekv/util/thread_annotations.hpp"

namespace livekv::util {

// std::mutex and std::shared_mutex, and the scoped locks over them, with the capability
// attributes libstdc++ does not carry, so that clang's -Wthread-safety checks every
// LIVEKV_GUARDED_BY member against them (see thread_annotations.hpp). Each is a thin inline
// wrapper: no virtuals, no extra state beyond what the std types hold, the same code under g++.
// Not copyable or movable, like the std types they wrap.

// std::mutex with capability attributes. Thread-safe; same semantics as std::mutex.
class LIVEKV_CAPABILITY("mutex") mutex {
 public:
  mutex() = default;
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;

  void lock() LIVEKV_ACQUIRE() { m_.lock(); }
  [[nodiscard]] bool try_lock() LIVEKV_TRY_ACQUIRE(true) { return m_.try_lock(); }
  void unlock() LIVEKV_RELEASE() { m_.unlock(); }
  // For code the analysis cannot follow: tells it the caller holds this mutex. Checks nothing.
  void assert_held() const LIVEKV_ASSERT_CAPABILITY(this) {}

  // The std::mutex itself, for util::condition_variable. Locking it directly bypasses the analysis.
  std::mutex& native() noexcept { return m_; }

 private:
  std::mutex m_;
};

// std::shared_mutex with capability attributes: exclusive (lock) or shared (lock_shared) holds.
class LIVEKV_CAPABILITY("shared_mutex") shared_mutex {
 public:
  shared_mutex() = default;
  shared_mutex(const shared_mutex&) = delete;
  shared_mutex& operator=(const shared_mutex&) = delete;

  void lock() LIVEKV_ACQUIRE() { m_.lock(); }
  [[nodiscard]] bool try_lock() LIVEKV_TRY_ACQUIRE(true) { return m_.try_lock(); }
  void unlock() LIVEKV_RELEASE() { m_.unlock(); }
  void lock_shared() LIVEKV_ACQUIRE_SHARED() { m_.lock_shared(); }
  [[nodiscard]] bool try_lock_shared() LIVEKV_TRY_ACQUIRE_SHARED(true) { return m_.try_lock_shared(); }
  void unlock_shared() LIVEKV_RELEASE_SHARED() { m_.unlock_shared(); }
  void assert_held() const LIVEKV_ASSERT_CAPABILITY(this) {}
  void assert_shared_held() const LIVEKV_ASSERT_SHARED_CAPABILITY(this) {}

 private:
  std::shared_mutex m_;
};

// std::lock_guard: holds `m` exclusively from construction to destruction.
// Mutex: util::mutex or util::shared_mutex (deduced: `util::lock_guard lock(mutex_);`).
template <class Mutex>
class LIVEKV_SCOPED_CAPABILITY lock_guard {
 public:
  explicit lock_guard(Mutex& m) LIVEKV_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~lock_guard() LIVEKV_RELEASE() { m_.unlock(); }
  lock_guard(const lock_guard&) = delete;
  lock_guard& operator=(const lock_guard&) = delete;

 private:
  Mutex& m_;
};

// std::unique_lock, reduced to what livekv uses: locked on construction, then unlock() and lock()
// again as often as needed (the analysis tracks each); unlocks on destruction if held. Not
// movable, so the analysis always knows which mutex it holds. Pass the mutex, not the lock, to a
// function that needs it held (LIVEKV_REQUIRES(mutex_)) and to util::condition_variable.
template <class Mutex>
class LIVEKV_SCOPED_CAPABILITY unique_lock {
 public:
  explicit unique_lock(Mutex& m) LIVEKV_ACQUIRE(m) : m_(m) { m_.lock(); }
  ~unique_lock() LIVEKV_RELEASE() {
    if (owns_) m_.unlock();
  }
  unique_lock(const unique_lock&) = delete;
  unique_lock& operator=(const unique_lock&) = delete;

  // Precondition: not held / held (as for std::unique_lock, violating it is undefined).
  void lock() LIVEKV_ACQUIRE() {
    m_.lock();
    owns_ = true;
  }
  void unlock() LIVEKV_RELEASE() {
    owns_ = false;
    m_.unlock();
  }
  bool owns_lock() const noexcept { return owns_; }

 private:
  Mutex& m_;
  bool owns_ = true;
};

// std::shared_lock over util::shared_mutex: holds it shared; unlock() and lock() as unique_lock.
template <class Mutex>
class LIVEKV_SCOPED_CAPABILITY shared_lock {
 public:
  explicit shared_lock(Mutex& m) LIVEKV_ACQUIRE_SHARED(m) : m_(m) { m_.lock_shared(); }
  ~shared_lock() LIVEKV_RELEASE() {
    if (owns_) m_.unlock_shared();
  }
  shared_lock(const shared_lock&) = delete;
  shared_lock& operator=(const shared_lock&) = delete;

  void lock() LIVEKV_ACQUIRE_SHARED() {
    m_.lock_shared();
    owns_ = true;
  }
  void unlock() LIVEKV_RELEASE() {
    owns_ = false;
    m_.unlock_shared();
  }
  bool owns_lock() const noexcept { return owns_; }

 private:
  Mutex& m_;
  bool owns_ = true;
};

// Runs `f` with `m` released, then holds `m` again, also when `f` throws: the window in which a
// function that holds a lock calls out (callbacks, I/O) without it. The caller must hold `m`
// exclusively (through any scoped lock, or as a LIVEKV_REQUIRES function) and holds it again when
// this returns; `f` is analysed holding nothing, so it cannot touch a member `m` guards. Use it
// instead of passing a unique_lock to a helper: the analysis cannot follow a lock passed by
// reference (nor, in clang 14, a "scoped unlock" object), but it can follow this.
// Returns what `f` returns.
template <class Mutex, class Function>
decltype(auto) run_unlocked(Mutex& m, Function&& f) LIVEKV_REQUIRES(m) LIVEKV_NO_THREAD_SAFETY_ANALYSIS {
  // Unchecked here (the analysis cannot see a destructor relock), checked at every call site.
  struct relock {
    Mutex& m;
    ~relock() { m.lock(); }
  };
  m.unlock();
  const relock again{m};
  return std::forward<Function>(f)();
}

// std::condition_variable for a util::mutex the caller already holds, through any of the scoped
// locks above: wait() takes the mutex (which the analysis can check: LIVEKV_REQUIRES(m)), releases
// it while blocked and holds it again when it returns, as std::condition_variable::wait does. The
// same object as std::condition_variable underneath (no condition_variable_any and its second
// mutex). Predicates run with `m` held; a lambda that reads guarded members says so:
//   wake_.wait(mutex_, [&]() LIVEKV_REQUIRES(mutex_) { return stopping_; });
// Thread-safe; notify_one/notify_all need not hold the mutex.
class condition_variable {
 public:
  condition_variable() = default;
  condition_variable(const condition_variable&) = delete;
  condition_variable& operator=(const condition_variable&) = delete;

  void notify_one() noexcept { cv_.notify_one(); }
  void notify_all() noexcept { cv_.notify_all(); }

  void wait(mutex& m) LIVEKV_REQUIRES(m) {
    borrowed lock(m);
    cv_.wait(lock.lock);
  }
  template <class Predicate>
  void wait(mutex& m, Predicate stop_waiting) LIVEKV_REQUIRES(m) {
    borrowed lock(m);
    cv_.wait(lock.lock, std::move(stop_waiting));
  }
  // Returns stop_waiting() as last evaluated: false means the time ran out first.
  template <class Clock, class Duration, class Predicate>
  bool wait_until(mutex& m, const std::chrono::time_point<Clock, Duration>& deadline, Predicate stop_waiting)
      LIVEKV_REQUIRES(m) {
    borrowed lock(m);
    return cv_.wait_until(lock.lock, deadline, std::move(stop_waiting));
  }
  template <class Rep, class Period, class Predicate>
  bool wait_for(mutex& m, const std::chrono::duration<Rep, Period>& timeout, Predicate stop_waiting)
      LIVEKV_REQUIRES(m) {
    borrowed lock(m);
    return cv_.wait_for(lock.lock, timeout, std::move(stop_waiting));
  }

 private:
  // The caller's hold of the mutex, lent to std::condition_variable for one wait and handed back
  // (still held) however the wait ends, a throwing predicate included: the caller's scoped lock
  // stays the one that unlocks it.
  struct borrowed {
    explicit borrowed(mutex& m) : lock(m.native(), std::adopt_lock) {}
    ~borrowed() { lock.release(); }
    borrowed(const borrowed&) = delete;
    borrowed& operator=(const borrowed&) = delete;
    std::unique_lock<std::mutex> lock;
  };

  std::condition_variable cv_;
};

}  // namespace livekv::util
