#pragma once
// Clang's thread-safety analysis (-Wthread-safety): attributes that say which mutex guards which
// member and which locks a function needs, acquires or releases, checked at compile time. The
// clang-fuzz preset turns every violation into an error; on other compilers (g++) they expand to
// nothing, so they cost nothing and change no code. Reference:
// https://clang.llvm.org/docs/ThreadSafetyAnalysis.html
//
// Macros, against the house rule, because attributes cannot be spelled conditionally any other way;
// LIVEKV_-prefixed so that they never clash with a dependency's GUARDED_BY.
//
// libstdc++'s std::mutex and std::shared_mutex carry no capability attributes, so the analysis
// cannot see them: annotate livekv::util::mutex / shared_mutex and their scoped locks instead
// (livekv/util/mutex.hpp). In short:
//   mutable util::mutex mutex_;                          // guards count_ (say what it guards)
//   int count_ LIVEKV_GUARDED_BY(mutex_) = 0;
//   void bump_locked() LIVEKV_REQUIRES(mutex_);          // caller holds mutex_
//   void bump() LIVEKV_EXCLUDES(mutex_) { util::lock_guard lock(mutex_); bump_locked(); }
// A lambda is analysed as a function of its own that holds nothing: one that reads guarded
// members under the caller's lock (a condition variable's predicate) says so with
// `[&]() LIVEKV_REQUIRES(mutex_) { ... }`.

#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(guarded_by)
#define LIVEKV_THREAD_ANNOTATION(x) __attribute__((x))
#endif
#endif
#ifndef LIVEKV_THREAD_ANNOTATION
#define LIVEKV_THREAD_ANNOTATION(x)  // not clang: no analysis
#endif

// --- on types ---------------------------------------------------------------------------------
// A class whose objects are locks (a mutex). `name` appears in the diagnostics ("mutex").
#define LIVEKV_CAPABILITY(name) LIVEKV_THREAD_ANNOTATION(capability(name))
// An RAII class that holds a capability for its lifetime (lock_guard, unique_lock, shared_lock).
#define LIVEKV_SCOPED_CAPABILITY LIVEKV_THREAD_ANNOTATION(scoped_lockable)

// --- on data members --------------------------------------------------------------------------
// Read only with `m` held (shared or exclusive); written only with `m` held exclusively.
#define LIVEKV_GUARDED_BY(m) LIVEKV_THREAD_ANNOTATION(guarded_by(m))
// The same for what a pointer (or smart pointer) points to; the pointer itself is not guarded.
#define LIVEKV_PT_GUARDED_BY(m) LIVEKV_THREAD_ANNOTATION(pt_guarded_by(m))
// Lock order between mutexes: this one is taken before / after the listed ones.
#define LIVEKV_ACQUIRED_BEFORE(...) LIVEKV_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define LIVEKV_ACQUIRED_AFTER(...) LIVEKV_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))

// --- on functions -----------------------------------------------------------------------------
// The caller must hold the listed mutexes exclusively / at least shared; they are still held on return.
#define LIVEKV_REQUIRES(...) LIVEKV_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define LIVEKV_REQUIRES_SHARED(...) LIVEKV_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// The caller must not hold them (the function takes them itself: holding one would deadlock).
#define LIVEKV_EXCLUDES(...) LIVEKV_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// The function returns holding / having released the listed mutexes (no argument: `this`).
#define LIVEKV_ACQUIRE(...) LIVEKV_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define LIVEKV_ACQUIRE_SHARED(...) LIVEKV_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define LIVEKV_RELEASE(...) LIVEKV_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define LIVEKV_RELEASE_SHARED(...) LIVEKV_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
// Releases however it was held (a scoped lock's destructor).
#define LIVEKV_RELEASE_GENERIC(...) LIVEKV_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
// Acquires only when it returns `result` (try_lock: true).
#define LIVEKV_TRY_ACQUIRE(...) LIVEKV_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define LIVEKV_TRY_ACQUIRE_SHARED(...) LIVEKV_THREAD_ANNOTATION(try_acquire_shared_capability(__VA_ARGS__))
// Tells the analysis the mutex is held from here on, where it cannot see it (no run-time check).
#define LIVEKV_ASSERT_CAPABILITY(m) LIVEKV_THREAD_ANNOTATION(assert_capability(m))
#define LIVEKV_ASSERT_SHARED_CAPABILITY(m) LIVEKV_THREAD_ANNOTATION(assert_shared_capability(m))
// The function returns a reference to the mutex `m` (an accessor).
#define LIVEKV_RETURN_CAPABILITY(m) LIVEKV_THREAD_ANNOTATION(lock_returned(m))
// Turns the analysis off for one function. Last resort: say in a comment why it is safe.
#define LIVEKV_NO_THREAD_SAFETY_ANALYSIS LIVEKV_THREAD_ANNOTATION(no_thread_safety_analysis)
