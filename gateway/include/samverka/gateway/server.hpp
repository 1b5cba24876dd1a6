// The gateway: an HTTP/1.1 server (Boost.Beast) that resolves the tenant of every request once,
// from `Host: SLUG.BASE-DOMAIN` or the `/t/SLUG` prefix, and hands it to that tenant's store.
//
// API boundary: only gateway/ knows HTTP and JSON. Beast/Asio headers never leave gateway/src.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace samverka::gateway {

struct server_options {
  std::filesystem::path data_dir = "data";
  std::string listen = "127.0.0.1:8080";
  std::string base_domain = "localhost";
  std::size_t threads = 0;           // 0: one worker per core
  std::size_t max_open_tenants = 0;  // 0: tenant::default_max_open_tenants
  std::optional<std::string> redis_url;
  // PEM CA bundle trusted for OpenID Connect providers (default: the system CA store).
  std::string oidc_ca_file;
  // Reverse proxies (CIDR blocks) whose X-Forwarded-For names the client, e.g. the Ingress
  // controller's pod network; none by default.
  std::vector<std::string> trusted_proxies;
  // The daily digest e-mail (content2): off without an SMTP relay URL. `digest_at` is the local
  // time "HH:MM" the day's digests go out; `digest_poll_ms` how often the clock is looked at.
  std::string smtp_url;
  std::string smtp_from = "noreply@localhost";
  std::string digest_at = "06:00";
  long digest_poll_ms = 30'000;
  // Cluster mode (with redis_url): "gateway" (stateless, forwards each tenant to its owner) or
  // "store" (serves the tenants of data_dir and registers them in Redis).
  std::string role;
  std::string node_id;    // store: this node's name in Redis ([a-z0-9-], unique)
  std::string advertise;  // store: base URL gateways reach it at (default from --listen)
};

// Serves until SIGTERM or SIGINT, then drains in-flight requests; returns the exit code.
int run_server(const server_options& options);

}  // namespace samverka::gateway
