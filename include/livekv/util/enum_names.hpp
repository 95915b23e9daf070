#pragma once
// The words that spell a closed set of settings (--fsync always|everysec|no, --log-level,
// --log-format). One table per enum gives its to_string, its parse and the list an error message
// names, so that each spelling exists once.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace livekv::util {

// `names[i]` spells the enumerator whose value is i: E's enumerators must be 0 .. N-1, in the
// order of the table. Immutable, so any thread may use it.
template <typename E, std::size_t N>
struct enum_names {
  std::array<std::string_view, N> names;

  // The word for `e`; empty for a value outside the table.
  constexpr std::string_view to_string(E e) const noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < N ? names[i] : std::string_view{};
  }

  // The enumerator spelled exactly `word` (case-sensitive); nullopt for any other text.
  constexpr std::optional<E> parse(std::string_view word) const noexcept {
    for (std::size_t i = 0; i < N; ++i)
      if (names[i] == word) return static_cast<E>(i);
    return std::nullopt;
  }

  // The accepted words for an error message: "always, everysec or no".
  std::string list() const {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
      if (i > 0) out += i + 1 == N ? " or " : ", ";
      out += names[i];
    }
    return out;
  }
};

}  // namespace livekv::util
