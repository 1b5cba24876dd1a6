// The daily notification digest: one e-mail per person with their unread notifications grouped
// per thread, instead of one mail per event. Sent over SMTP (libcurl) to a configurable relay by
// `samverkactl digest send SLUG --smtp URL` (run daily from cron or a systemd timer).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "samverka/core/error.hpp"
#include "samverka/tenant/social.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::provisioning {

struct smtp_config {
  std::string url;                         // smtp://relay:25 or smtps://relay:465
  std::string from = "noreply@localhost";  // envelope and header sender
  std::optional<std::string> user, password;
};

struct digest_report {
  std::size_t sent = 0;
  std::size_t failed = 0;
};

// The RFC 5322 message (UTF-8 plain text, CRLF line ends) of one person's digest.
std::string compose_digest(const tenant::digest& d, std::string_view tenant_name,
                           const smtp_config& cfg);

// Sends `message` to `to` through the relay. unavailable if the relay cannot be reached or
// refuses the message.
result<void> smtp_send(const smtp_config& cfg, std::string_view to, std::string_view message);

// Sends every due digest of `s`; a person's notifications are marked as mailed only after the
// relay accepted their message, so a failed send is retried by the next run.
result<digest_report> send_digests(tenant::store& s, std::string_view tenant_name,
                                   const smtp_config& cfg);

}  // namespace samverka::provisioning
