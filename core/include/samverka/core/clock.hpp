// Wall-clock time as Unix milliseconds, and its RFC 3339 UTC form used in every API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace samverka {

// Milliseconds since the Unix epoch, now.
std::int64_t now_ms() noexcept;

// "2026-11-22T09:30:00Z" (milliseconds appear only when non-zero: "...:00.250Z").
std::string to_rfc3339(std::int64_t unix_ms);

// Parses an RFC 3339 timestamp (Z or ±hh:mm offset); nullopt if malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace samverka
