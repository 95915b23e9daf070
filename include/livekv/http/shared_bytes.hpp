#pragma once
// Immutable bytes that a response body shares with whoever owns them (a stored value, the console
// page) instead of copying them, without http/ knowing the owner's type: the owner is any handle
// that holds one reference while it lives (store::value_ptr), kept here type-erased.
//
// Why not std::shared_ptr<const void>: a stored value already counts its references in its own
// block; wrapping it would allocate a control block per GET. This keeps the handle inline (it must
// fit in a pointer) and reaches its copy and destructor through a table of two functions.
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace livekv::http {

class shared_bytes {
 public:
  shared_bytes() noexcept = default;
  // Shares `bytes`, which `owner` keeps alive for as long as this (or a copy of it) holds it.
  template <class Owner>
    requires(!std::is_same_v<std::decay_t<Owner>, shared_bytes>)
  shared_bytes(Owner owner, std::string_view bytes) noexcept : ops_(&ops_for<Owner>), bytes_(bytes) {
    static_assert(sizeof(Owner) <= sizeof(void*) && alignof(Owner) <= alignof(void*),
                  "the owner must be a handle the size of a pointer");
    static_assert(std::is_nothrow_copy_constructible_v<Owner> && std::is_nothrow_move_constructible_v<Owner>);
    new (owner_) Owner(std::move(owner));
  }
  shared_bytes(const shared_bytes& o) noexcept : ops_(o.ops_), bytes_(o.bytes_) {
    if (ops_) ops_->copy(o.owner_, owner_);
  }
  shared_bytes(shared_bytes&& o) noexcept : ops_(std::exchange(o.ops_, nullptr)), bytes_(std::exchange(o.bytes_, {})) {
    if (ops_) ops_->move(o.owner_, owner_);
  }
  shared_bytes& operator=(shared_bytes o) noexcept {
    reset();
    ops_ = std::exchange(o.ops_, nullptr);
    bytes_ = std::exchange(o.bytes_, {});
    if (ops_) ops_->move(o.owner_, owner_);
    return *this;
  }
  ~shared_bytes() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  std::string_view view() const noexcept { return bytes_; }
  void reset() noexcept {
    if (ops_) ops_->destroy(owner_);
    ops_ = nullptr;
    bytes_ = {};
  }

 private:
  struct ops {
    void (*copy)(const void* from, void* to) noexcept;
    void (*move)(void* from, void* to) noexcept;  // leaves `from` destroyed
    void (*destroy)(void* owner) noexcept;
  };
  template <class Owner>
  static constexpr ops ops_for{
      [](const void* from, void* to) noexcept { new (to) Owner(*static_cast<const Owner*>(from)); },
      [](void* from, void* to) noexcept {
        new (to) Owner(std::move(*static_cast<Owner*>(from)));
        static_cast<Owner*>(from)->~Owner();
      },
      [](void* owner) noexcept { static_cast<Owner*>(owner)->~Owner(); }};

  alignas(void*) unsigned char owner_[sizeof(void*)];
  const ops* ops_ = nullptr;
  std::string_view bytes_;
};

}  // namespace livekv::http
