// Private to samverka_tenant: password hashing with argon2id (libargon2).
#pragma once

#include <string>
#include <string_view>

namespace samverka::tenant::password {

// A PHC-encoded argon2id hash ("$argon2id$v=19$m=...") of `pw` with a fresh random salt.
// Throws std::runtime_error only if the environment fails (no memory, no randomness).
std::string hash(std::string_view pw);

// Whether `pw` matches `encoded`; a malformed hash is simply a mismatch.
bool verify(const std::string& encoded, std::string_view pw) noexcept;

// A valid hash of a random password, verified against when an e-mail is unknown so a login
// takes the same time whether or not the account exists.
const std::string& dummy_hash();

}  // namespace samverka::tenant::password
