// argon2id password hashes. Costs follow OWASP's password storage cheat sheet minimum for
// argon2id (m = 19 MiB, t = 2, p = 1), chosen for a 2-core server: one verification takes a few
// tens of milliseconds and 19 MiB, so a burst of logins cannot exhaust CPU or memory, while an
// offline attacker still pays 19 MiB per guess. Hashes are self-describing (PHC string), so raising
// the costs later only affects new hashes; old ones keep verifying.
#include "password.hpp"

#include <argon2.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace samverka::tenant::password {

namespace {
constexpr std::uint32_t t_cost = 2;              // passes over memory (OWASP minimum with 19 MiB)
constexpr std::uint32_t m_cost_kib = 19 * 1024;  // 19 MiB: memory-hardness against GPUs
constexpr std::uint32_t parallelism = 1;         // one lane: a login must not take both cores
constexpr std::size_t salt_bytes = 16;           // 128-bit salt, the RFC 9106 recommendation
constexpr std::size_t hash_bytes = 32;           // 256-bit tag
}  // namespace

std::string hash(std::string_view pw) {
  std::array<unsigned char, salt_bytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  std::string encoded(
      argon2_encodedlen(t_cost, m_cost_kib, parallelism, salt_bytes, hash_bytes, Argon2_id), '\0');
  int rc = argon2id_hash_encoded(t_cost, m_cost_kib, parallelism, pw.data(), pw.size(), salt.data(),
                                 salt.size(), hash_bytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    throw std::runtime_error(std::string("argon2id_hash_encoded: ") + argon2_error_message(rc));
  // argon2_encodedlen counts the terminating NUL and may overestimate the digits of the costs.
  if (auto end = encoded.find('\0'); end != std::string::npos) encoded.resize(end);
  return encoded;
}

bool verify(const std::string& encoded, std::string_view pw) noexcept {
  return argon2id_verify(encoded.c_str(), pw.data(), pw.size()) == ARGON2_OK;
}

const std::string& dummy_hash() {
  // Computed once per process with the current costs, so it takes as long as a real verification.
  static const std::string h = [] {
    std::array<unsigned char, 32> pw{};
    if (RAND_bytes(pw.data(), static_cast<int>(pw.size())) != 1)
      throw std::runtime_error("OpenSSL RAND_bytes failed");
    return hash(std::string_view(reinterpret_cast<const char*>(pw.data()), pw.size()));
  }();
  return h;
}

}  // namespace samverka::tenant::password
