// The one mapping from domain failures (samverka::errc) to HTTP statuses, and the contract's
// error body: {"error": {"code": "snake_case_code", "message": "human text"}}.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "http_types.hpp"
#include "samverka/core/error.hpp"

namespace samverka::gateway {

// Retry-After of a 503 for a domain failure of kind `unavailable`: such states (a tenant moving, a
// node restarting, a busy store) pass within seconds.
inline constexpr std::chrono::seconds unavailable_retry_after{2};

// HTTP status for a kind of failure (the table in errors.cpp).
int http_status(errc kind) noexcept;
// Status for one failure: its kind's, unless its code has a more specific status (415, 501).
int http_status(const error& e) noexcept;

// A JSON error response with an explicit status, for failures that are not a domain errc
// (405, 415, 431, 501, ...).
http_response error_response(int status, std::string_view code, std::string_view message);

// The response for a domain failure. Internal failures get a generic message: their details
// belong in the log (the caller logs them), not in the client's hands. A throttled failure
// carries Retry-After (`retry_after`, default one minute).
http_response error_response(const error& e,
                             std::optional<std::chrono::seconds> retry_after = std::nullopt);

}  // namespace samverka::gateway
