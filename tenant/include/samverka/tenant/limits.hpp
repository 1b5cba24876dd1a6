// Named limits of the tenant store, with the reason for each.
#pragma once

#include <chrono>
#include <cstddef>

namespace samverka::tenant::limits {

// Text fields: a headline longer than this is a paragraph; refuse rather than truncate.
inline constexpr std::size_t max_title = 300;
inline constexpr std::size_t max_summary = 2'000;
// News bodies after sanitising; the gateway's 1 MiB request limit bounds the input first.
inline constexpr std::size_t max_body = 512 * 1024;
inline constexpr std::size_t max_name = 200;        // unit and person names
inline constexpr std::size_t max_password = 1'024;  // argon2 input; longer is abuse
inline constexpr std::size_t min_password = 8;      // operators set these; keep a floor
// Units and roles one news item may target; more is a mistake in the audience picker.
inline constexpr std::size_t max_audience_units = 200;
// Page size of news lists: default and ceiling.
inline constexpr std::size_t default_page = 20;
inline constexpr std::size_t max_page = 100;
// How long a login session lives without being renewed.
inline constexpr std::chrono::hours session_ttl{12};
// SQLite waits this long for a competing writer before reporting busy.
inline constexpr std::chrono::milliseconds busy_timeout{5'000};
// Connections one tenant store keeps open for concurrent requests (WAL readers + one writer).
inline constexpr std::size_t connections_per_store = 4;

}  // namespace samverka::tenant::limits
