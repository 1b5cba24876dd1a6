// Small wrappers over OpenSSL: random secrets and digests. No primitive is implemented here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace samverka::crypto {

// `bytes` bytes from OpenSSL's CSPRNG, encoded as unpadded base64url.
std::string random_token(std::size_t bytes = 32);

// Lower-case hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

// Unpadded base64url of `data`.
std::string base64url(std::string_view data);

// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace samverka::crypto
