#include "samverka/core/error.hpp"

#include <stdexcept>

namespace samverka {

std::string_view to_string(errc kind) noexcept {
  switch (kind) {
    case errc::invalid_input:
      return "invalid_input";
    case errc::unauthenticated:
      return "unauthenticated";
    case errc::forbidden:
      return "forbidden";
    case errc::not_found:
      return "not_found";
    case errc::conflict:
      return "conflict";
    case errc::too_large:
      return "too_large";
    case errc::unprocessable:
      return "unprocessable";
    case errc::throttled:
      return "throttled";
    case errc::suspended:
      return "tenant_suspended";
    case errc::unavailable:
      return "unavailable";
    case errc::internal:
      return "internal";
  }
  return "internal";
}

void throw_unchecked(const error& e) {
  throw std::logic_error("unchecked failure " + e.code + ": " + e.message);
}

}  // namespace samverka
