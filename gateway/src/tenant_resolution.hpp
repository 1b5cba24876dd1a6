// Which tenant a request addresses: the `/t/SLUG` path prefix, else `Host: SLUG.BASE-DOMAIN`.
// Pure string work, done once per request by the app before anything touches a store.
#pragma once

#include <string>
#include <string_view>

namespace samverka::gateway {

struct tenant_address {
  std::string slug;       // empty: the request names no tenant (platform host, bare IP, ...)
  std::string path;       // path relative to the tenant, query excluded: "/api/v1/me"
  std::string query;      // after '?', without it; empty if none
  std::string base_path;  // "/t/SLUG" when addressed by prefix, else "" (for links we emit)
};

// The Host header without its port, lower-cased, without a trailing dot ("[::1]" stays
// bracketed).
std::string normalize_host(std::string_view host);

// Resolves `target` (origin-form) and `host` against `base_domain`. The prefix wins over the
// host when both name a tenant: it is the more explicit of the two. The slug is returned as
// written; checking that it exists is the registry snapshot's job.
tenant_address resolve_tenant(std::string_view host, std::string_view target,
                              std::string_view base_domain);

}  // namespace samverka::gateway
