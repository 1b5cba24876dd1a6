// Validation of the identifiers operators type: tenant slugs and e-mail domains.
#pragma once

#include <string>
#include <string_view>

namespace samverka {

// The contract's slug rule: [a-z][a-z0-9-]{1,39}.
bool valid_slug(std::string_view slug) noexcept;

// A plausible DNS name for an e-mail domain (labels of [a-z0-9-], at least one dot).
bool valid_domain(std::string_view domain) noexcept;

// ASCII lower-case copy (e-mail addresses and domains compare case-insensitively).
std::string ascii_lower(std::string_view s);

// The part after '@' of an e-mail address, lower-cased; empty if there is none.
std::string email_domain(std::string_view email);

// A syntactically acceptable e-mail address: one '@', non-empty local part, valid domain.
bool valid_email(std::string_view email) noexcept;

}  // namespace samverka
