// Named limits of the gateway, each with the reason it exists. Tuning one means reading its
// reason first: most of them bound what one client can make the server hold.
#pragma once

#include <chrono>
#include <cstddef>

namespace samverka::gateway::limits {

using namespace std::chrono_literals;

// --- HTTP server ---------------------------------------------------------------------------------
// Request line plus headers. Browsers send a few KiB; more is abuse or a cookie leak (answer 431).
inline constexpr std::size_t max_header_bytes = 16 * 1024;
// Request body. News bodies are at most 512 KiB of HTML after sanitising; 1 MiB leaves room for
// the JSON envelope and escaping. Larger bodies get 413 before the body is read.
inline constexpr std::size_t max_body_bytes = 1024 * 1024;
// Streamed upload bodies (documents; content feature): written to a temp file in the tenant's
// folder, never held in memory, so the cap is about disk and transfer time, not RAM. The tenant
// store applies its own (configurable) per-file limit and quota after this.
inline constexpr std::size_t max_upload_bytes = 50 * 1024 * 1024;
// Reading a streamed upload may take this long in total (50 MiB at ~1 MB/s over a slow link).
inline constexpr auto upload_read_timeout = 120s;
// From the first byte to the last byte of one request. A slow client (slowloris) is cut off
// here instead of holding a connection slot forever.
inline constexpr auto request_read_timeout = 10s;
// How long a kept-alive connection may sit idle between requests.
inline constexpr auto keep_alive_idle_timeout = 30s;
// Writing one response; a client that does not read its response is closed.
inline constexpr auto response_write_timeout = 30s;
// Open connections at once; past this a new connection is closed at accept. Each costs a file
// descriptor and a few KiB of buffers, so this bounds both.
inline constexpr std::size_t max_connections = 10'000;
// Requests on one keep-alive connection before the server closes it, so long-lived connections
// get re-balanced across nodes behind a load balancer.
inline constexpr std::size_t max_requests_per_connection = 1'000;
// On SIGTERM: in-flight requests get this long to finish before the process exits anyway.
inline constexpr auto drain_deadline = 10s;
// On SIGTERM, an idle keep-alive connection stays open this long before it is closed: a request
// the client sent just before the signal may still be in the socket buffer, and it gets served.
inline constexpr auto drain_idle_grace = 500ms;
// Pause after a failed accept (e.g. out of file descriptors) so the loop does not spin.
inline constexpr auto accept_error_backoff = 100ms;
// Handlers block on SQLite and argon2, so they run on their own pool and never stall the I/O
// threads (accepting, timeouts, health checks). This many handler threads per I/O thread, and
// at least min_handler_threads.
inline constexpr std::size_t handler_threads_per_io_thread = 2;
inline constexpr std::size_t min_handler_threads = 4;

// --- Tenants -------------------------------------------------------------------------------------
// How often the registry's data_version is polled: CLI changes (create, suspend, delete) take
// effect within this interval plus the time to re-read the registry.
inline constexpr auto registry_poll_interval = 200ms;

// --- Requests ------------------------------------------------------------------------------------
// X-Request-Id values accepted from clients and proxies; longer ones are replaced.
inline constexpr std::size_t max_request_id = 64;
// Opaque news cursors are "<ms>.<id>" (about 35 chars); anything much longer is not ours.
inline constexpr std::size_t max_cursor = 128;
// E-mail addresses (RFC 5321 path limit); longer login attempts are rejected without a lookup.
inline constexpr std::size_t max_email = 320;
// Slugs one news item may be shared with at once.
inline constexpr std::size_t max_share_with = 100;

// --- Login throttling ----------------------------------------------------------------------------
// Failed logins allowed per account (tenant + e-mail) within the window: enough for a person who
// mistypes, far too few for password guessing.
inline constexpr std::size_t max_failures_per_account = 10;
// Failed logins allowed per remote address within the window: a whole office behind one NAT may
// mistype, but one host must not spray passwords over many accounts.
inline constexpr std::size_t max_failures_per_address = 50;
inline constexpr auto failure_window = 15min;
// Throttle entries kept per kind; bounds memory under a flood of distinct addresses or e-mails.
inline constexpr std::size_t max_throttle_entries = 100'000;

}  // namespace samverka::gateway::limits
