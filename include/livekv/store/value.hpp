#pragma once
// A stored value: immutable bytes and their content type, shared by pointer between the store,
// GET responses, the log writer and the feed's history ring, across threads.
//
// Why not shared_ptr<const struct{std::string, std::string}>: that costs three heap chunks per
// value (control block + two strings' header, the bytes' buffer, and a content type buffer when
// it is longer than the small-string buffer) and a 16-byte pointer in every holder. A store of a
// million small values pays most of its memory there. Here a value is ONE allocation:
//
//   block := header (refcount, content type size, byte size) | bytes | content type
//
// and a value_ptr is one pointer with an intrusive refcount.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace livekv::store {

class value_ptr;

// Immutable once made: a concurrent overwrite replaces the store's pointer, never the bytes a
// reader holds. Only make_value creates one; it lives until the last value_ptr to it goes.
class value {
 public:
  value(const value&) = delete;
  value& operator=(const value&) = delete;

  std::string_view bytes() const noexcept { return {tail(), size_}; }
  // Empty means application/octet-stream.
  std::string_view content_type() const noexcept { return {tail() + size_, type_size_}; }

 private:
  friend class value_ptr;
  friend value_ptr make_value(std::string_view bytes, std::string_view content_type);

  value(std::uint32_t size, std::uint32_t type_size) noexcept : type_size_(type_size), size_(size) {}
  ~value() = default;

  // The bytes follow the header in the same block (see make_value).
  const char* tail() const noexcept { return reinterpret_cast<const char*>(this + 1); }
  // Frees the block; called by the value_ptr that drops the last reference.
  static void destroy(const value* v) noexcept;

  // A 12-byte header, not 16: a 100-byte value then fills a 112-byte allocator size class
  // instead of a 128-byte one (jemalloc's classes step by 16 there), 16 B less per key.
  // Holders, not readers: 2^32 holders would need 32 GiB of pointers to this one value.
  mutable std::atomic<std::uint32_t> refs_{1};
  std::uint32_t type_size_;  // content types are short (the API takes at most 255 bytes)
  std::uint32_t size_;       // values are bounded far below 4 GiB (--max-value-bytes is at most 32 MiB)
};

// An owning pointer to a value, the size of a raw pointer. Copying one is an atomic increment,
// moving one is free. Safe to copy and drop from any thread (like shared_ptr: one value_ptr
// object itself must not be written by one thread while another reads it).
class value_ptr {
 public:
  constexpr value_ptr() noexcept = default;
  constexpr value_ptr(std::nullptr_t) noexcept {}  // NOLINT: implicit, as for shared_ptr
  value_ptr(const value_ptr& o) noexcept : p_(o.p_) {
    // Relaxed suffices for taking a reference: the copier already holds one, so the block cannot
    // go away meanwhile, and the bytes were published to this thread with that reference.
    if (p_) p_->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  value_ptr(value_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  // By value: one body for copy and move assignment, and self-assignment is safe.
  value_ptr& operator=(value_ptr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~value_ptr() { release(); }

  const value* get() const noexcept { return p_; }
  const value& operator*() const noexcept { return *p_; }
  const value* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }
  void reset() noexcept {
    release();
    p_ = nullptr;
  }
  // Holders of the value right now; exact only when no other thread copies or drops it (tests).
  std::uint32_t use_count() const noexcept { return p_ ? p_->refs_.load(std::memory_order_relaxed) : 0; }

  friend bool operator==(const value_ptr& a, const value_ptr& b) noexcept { return a.p_ == b.p_; }
  friend bool operator==(const value_ptr& a, std::nullptr_t) noexcept { return a.p_ == nullptr; }

 private:
  friend value_ptr make_value(std::string_view bytes, std::string_view content_type);
  explicit value_ptr(const value* adopt) noexcept : p_(adopt) {}

  void release() noexcept {
    // acq_rel: the release half orders this holder's reads of the bytes before the decrement; the
    // acquire half makes every other holder's reads happen before the block is freed by us.
    if (p_ && p_->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) value::destroy(p_);
  }

  const value* p_ = nullptr;
};

// A new value holding copies of `bytes` and `content_type` (empty: application/octet-stream), in
// one allocation. Throws std::bad_alloc like any allocation, and std::length_error for bytes or a
// content type of 4 GiB or more (the API bounds both far below).
value_ptr make_value(std::string_view bytes, std::string_view content_type = {});

}  // namespace livekv::store
