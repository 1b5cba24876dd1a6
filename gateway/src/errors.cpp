// errc -> HTTP status, in one table. When an enumerator is added to samverka::errc, add its row
// here: the switch has no default, so the compiler warns about a missing one.
#include "errors.hpp"

#include <boost/json.hpp>

#include <string>

namespace samverka::gateway {

int http_status(errc kind) noexcept {
  switch (kind) {
    case errc::invalid_input:
      return 400;
    case errc::unauthenticated:
      return 401;
    case errc::forbidden:
      return 403;
    case errc::not_found:
      return 404;
    case errc::conflict:
      return 409;
    case errc::too_large:
      return 413;
    case errc::unprocessable:
      return 422;
    case errc::throttled:
      return 429;
    case errc::suspended:
      return 503;
    case errc::unavailable:
      return 503;
    case errc::internal:
      return 500;
  }
  return 500;
}

http_response error_response(int status, std::string_view code, std::string_view message) {
  boost::json::object err;
  err["code"] = code;
  err["message"] = message;
  boost::json::object root;
  root["error"] = std::move(err);
  http_response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = boost::json::serialize(root);
  return res;
}

namespace {

// Gateway codes whose HTTP status is more specific than their kind's row above.
struct code_status {
  std::string_view code;
  int status;
};
constexpr code_status specific_statuses[] = {
    {"unsupported_media_type", 415},  // kind invalid_input
    {"not_implemented", 501},         // kind unavailable: a contract feature not built yet
};

}  // namespace

int http_status(const error& e) noexcept {
  for (const auto& row : specific_statuses)
    if (row.code == e.code) return row.status;
  return http_status(e.kind);
}

http_response error_response(const error& e, std::optional<std::chrono::seconds> retry_after) {
  const int status = http_status(e);
  if (e.kind == errc::internal)
    return error_response(status, "internal", "internal error; it has been logged");
  http_response res = error_response(status, e.code, e.message);
  if (e.kind == errc::throttled) {
    const auto secs = retry_after.value_or(std::chrono::seconds(60)).count();
    res.set_header("Retry-After", std::to_string(secs < 1 ? 1 : secs));
  }
  // Temporarily unavailable (a tenant moving, a partner's node down, the store busy): clients
  // and browsers retry after a short wait rather than treating it as final.
  if (e.kind == errc::unavailable)
    res.set_header("Retry-After",
                   std::to_string(retry_after.value_or(unavailable_retry_after).count()));
  if (e.kind == errc::unauthenticated) res.set_header("WWW-Authenticate", "Bearer");
  return res;
}

}  // namespace samverka::gateway
