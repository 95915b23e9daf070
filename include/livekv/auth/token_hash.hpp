#pragma once
// Bearer tokens and their SHA-256 hashes. The auth file stores only hashes (a leaked file grants
// nothing); a client's token is hashed once per request and compared in constant time.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace livekv::auth {

using sha256_digest = std::array<std::uint8_t, 32>;

// SHA-256 of `data` (OpenSSL's EVP). Thread-safe.
sha256_digest sha256(std::string_view data);
// Lower-case hex of a digest, 64 characters.
std::string to_hex(const sha256_digest& d);
// A digest from exactly 64 hex digits (either case); nullopt otherwise.
std::optional<sha256_digest> digest_from_hex(std::string_view hex);
// Equal, in time independent of where they differ (CRYPTO_memcmp).
bool same_digest(const sha256_digest& a, const sha256_digest& b) noexcept;
// A new token: 32 random bytes from OpenSSL's CSPRNG, base64url without padding (43 characters,
// safe in a header, a query string and a WebSocket subprotocol). Throws std::runtime_error when
// the CSPRNG fails.
std::string make_token();

}  // namespace livekv::auth
