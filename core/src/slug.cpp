#include "samverka/core/slug.hpp"

namespace samverka {

bool valid_slug(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 40) return false;
  if (s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool valid_domain(std::string_view d) noexcept {
  constexpr std::size_t max_domain = 253;  // DNS limit
  if (d.empty() || d.size() > max_domain || d.find('.') == std::string_view::npos) return false;
  std::size_t label = 0;
  char prev = '.';
  for (char c : d) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
    } else {
      return false;
    }
    prev = c;
  }
  return label > 0 && prev != '-';
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string email_domain(std::string_view email) {
  auto at = email.rfind('@');
  if (at == std::string_view::npos) return {};
  return ascii_lower(email.substr(at + 1));
}

bool valid_email(std::string_view email) noexcept {
  constexpr std::size_t max_email = 254;  // RFC 5321 path limit
  if (email.size() > max_email) return false;
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return false;
  for (char c : email.substr(0, at))
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == '"') return false;
  return valid_domain(ascii_lower(email.substr(at + 1)));
}

}  // namespace samverka
