// run_server: wires the registry, the tenant pool, the app and the HTTP server together.
#include "samverka/gateway/server.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <iostream>
#include <thread>

#include "app.hpp"
#include "http_server.hpp"
#include "log.hpp"

namespace samverka::gateway {

namespace {

// Each connection and each open tenant store costs file descriptors; the default soft limit
// (often 1024) is far below max_connections, so raise it to the hard limit the operator allows.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int fail(const error& e) {
  std::cerr << "samverka: " << e.message << '\n';
  return 1;
}

}  // namespace

int run_server(const server_options& options) {
  if (options.redis_url) {
    std::cerr << "samverka: --redis (cluster mode) is not available yet\n";
    return 2;
  }
  auto addr = parse_listen(options.listen);
  if (!addr) {
    fail(addr.err());
    return 2;  // a usage error, as in samverkactl
  }

  app_config cfg;
  cfg.data_dir = options.data_dir;
  cfg.base_domain = options.base_domain;
  if (options.max_open_tenants) cfg.max_open_tenants = options.max_open_tenants;
  cfg.oidc_ca_file = options.oidc_ca_file;
  if (!options.smtp_url.empty()) {  // content2: the daily digest timer
    auto at = provisioning::parse_time_of_day(options.digest_at);
    if (!at) {
      fail(error(errc::invalid_input, "--digest-at: " + at.err().message));
      return 2;
    }
    provisioning::digest_schedule d;
    d.smtp.url = options.smtp_url;
    d.smtp.from = options.smtp_from;
    if (const char* u = std::getenv("SAMVERKA_SMTP_USER")) d.smtp.user = u;
    if (const char* p = std::getenv("SAMVERKA_SMTP_PASSWORD")) d.smtp.password = p;
    d.minute_of_day = *at;
    if (options.digest_poll_ms > 0) d.poll = std::chrono::milliseconds(options.digest_poll_ms);
    cfg.digest = std::move(d);
  }
  auto application = app::open(cfg);
  if (!application) return fail(application.err());

  raise_fd_limit();
  http_server server(**application);
  auto port = server.listen(*addr);
  if (!port) return fail(port.err());
  const std::string host =
      addr->host.find(':') != std::string::npos ? "[" + addr->host + "]" : addr->host;
  // The functional tests wait for this exact line (and read the port from it).
  std::cout << "samverka listening on http://" << host << ":" << *port << std::endl;

  (*application)->start_background();
  const std::size_t threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const int rc = server.run(threads);
  (*application)->stop_background();
  log_event("info", "stopped");
  return rc;
}

}  // namespace samverka::gateway
