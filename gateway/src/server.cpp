// run_server: wires the registry, the tenant pool, the app and the HTTP server together.
#include "samverka/gateway/server.hpp"

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <thread>

#include "app.hpp"
#include "cluster.hpp"
#include "http_server.hpp"
#include "log.hpp"
#include "samverka/cluster/sessions.hpp"
#include "samverka/core/crypto.hpp"
#include "sharing_link.hpp"
#include "tenant_move.hpp"

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

// The HTTP limits of `options`: the defaults plus the trusted reverse proxies.
result<server_limits> http_limits(const server_options& options) {
  auto proxies = trusted_proxies::parse(options.trusted_proxies);
  if (!proxies) return proxies.err();
  server_limits lim;
  lim.proxies = std::move(*proxies);
  return lim;
}

int usage(std::string_view message) {
  std::cerr << "samverka: " << message << '\n';
  return 2;  // a usage error, as in samverkactl
}

std::string display_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::size_t io_threads(const server_options& options) {
  return options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
}

// Cluster settings checked before anything starts; the key comes from the environment so it
// never shows in a process list.
struct cluster_settings {
  cluster::redis_address redis;
  std::string key;
};

result<cluster_settings> cluster_config(const server_options& options) {
  cluster_settings s;
  auto addr = cluster::parse_redis_url(*options.redis_url);
  if (!addr) return addr.err();
  s.redis = *addr;
  if (options.role != "gateway" && options.role != "store")
    return error(errc::invalid_input, "--redis needs --role gateway or --role store");
  const char* key = std::getenv("SAMVERKA_CLUSTER_KEY");
  if (!key || std::string_view(key).size() < min_cluster_key_length)
    return error(errc::invalid_input,
                 "cluster mode needs SAMVERKA_CLUSTER_KEY (the secret shared by gateways and "
                 "store nodes, at least " +
                     std::to_string(min_cluster_key_length) + " characters)");
  s.key = key;
  if (options.role == "store" && !cluster::valid_node_id(options.node_id))
    return error(errc::invalid_input, "a store node needs --node-id ([a-z0-9-], at most 63)");
  if (options.role == "store" && !options.advertise.empty() &&
      !options.advertise.starts_with("http://"))
    return error(errc::invalid_input, "--advertise must be http://HOST:PORT");
  return s;
}

int run_gateway(const server_options& options, const cluster_settings& cs,
                const listen_address& addr, server_limits lim) {
  // Streamed document uploads wait here until they are sent on (TMPDIR, e.g. an emptyDir).
  std::error_code ec;
  const auto uploads = std::filesystem::temp_directory_path(ec) / "samverka-gateway-uploads";
  std::filesystem::create_directories(uploads, ec);
  if (ec) return fail(error(errc::internal, "cannot create " + uploads.string()));
  proxy_app application(cs.redis, options.base_domain, cs.key, uploads);
  raise_fd_limit();
  http_server server(application, std::move(lim));
  auto port = server.listen(addr);
  if (!port) return fail(port.err());
  server.catch_signals();  // before announcing: SIGTERM from then on drains
  std::cout << "samverka listening on http://" << display_host(addr.host) << ":" << *port
            << " (gateway)" << std::endl;
  const int rc = server.run(io_threads(options));
  log_event("info", "stopped");
  return rc;
}

}  // namespace

int run_server(const server_options& options) {
  auto addr = parse_listen(options.listen);
  if (!addr) return usage(addr.err().message);
  auto lim = http_limits(options);
  if (!lim) return usage(lim.err().message);
  std::optional<cluster_settings> cs;
  if (options.redis_url) {
    auto c = cluster_config(options);
    if (!c) return usage(c.err().message);
    cs = std::move(c.value());
    if (options.role == "store" && options.advertise.empty() &&
        (addr->host == "0.0.0.0" || addr->host == "::"))
      return usage("a store node listening on every address needs --advertise URL");
    if (options.role == "gateway") return run_gateway(options, *cs, *addr, std::move(*lim));
  }

  app_config cfg;
  std::unique_ptr<node_client> peers;
  std::unique_ptr<cluster::session_directory> sessions;  // sessions in Redis (cluster mode)
  std::unique_ptr<sharing_link> relay_link;
  std::unique_ptr<move_gate> moves;  // tenant moves (tenant_move.hpp)
  if (cs) {
    moves = std::make_unique<move_gate>();
    cfg.background_enter = [g = moves.get()](std::string_view slug) {
      return g->admit(slug, true);
    };
    cfg.background_leave = [g = moves.get()](std::string_view slug) { g->end_write(slug); };
    peers = std::make_unique<node_client>(cs->redis, cs->key);
    relay_link = std::make_unique<sharing_link>(cs->redis, options.node_id, cs->key);
    cfg.sharing_remote = relay_link.get();
    sessions = std::make_unique<cluster::session_directory>(cs->redis);
    cfg.sessions = sessions.get();
    cfg.remote_session = [p = peers.get(), s = sessions.get()](
                             std::string_view home, std::string_view token) -> result<std::string> {
      // Redis first: valid while the home node is down or busy. Placement must still name the
      // home (a deleted tenant vouches for no one); a miss asks the home node, which publishes.
      const auto parts = split_token(token);
      if (parts && p->placed(home))
        if (auto email = s->find(home, crypto::sha256_hex(parts->secret))) return *email;
      return p->resolve_session(home, token);
    };
    cfg.cluster_domain_owner = [p = peers.get()](std::string_view domain) {
      return p->domain_owner(domain);
    };
    cfg.remote_revoke = [p = peers.get()](std::string_view home, std::string_view token) {
      return p->revoke_session(home, token);
    };
    cfg.login_blocked = [p = peers.get()](std::string_view address, std::string_view account) {
      return p->login_blocked(address, account);
    };
    cfg.login_failed = [p = peers.get()](std::string_view address, std::string_view account) {
      p->login_failed(address, account);
    };
    cfg.login_succeeded = [p = peers.get()](std::string_view account) {
      p->login_succeeded(account);
    };
    cfg.remote_memberships = [p = peers.get(), self = options.node_id](std::string_view email) {
      return p->remote_memberships(email, self);
    };
  }
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
  std::optional<store_front> front;
  if (cs) front.emplace(**application, cs->key);
  std::unique_ptr<tenant_mover> mover;
  if (cs) {
    mover = std::make_unique<tenant_mover>(
        **application, *moves,
        tenant_mover::config{options.data_dir, options.node_id, cs->key, cs->redis});
    front->set_mover(mover.get());
  }
  http_server server(front ? static_cast<request_handler&>(*front) : **application,
                     std::move(*lim));
  auto port = server.listen(*addr);
  if (!port) return fail(port.err());
  const std::string host = display_host(addr->host);
  server.catch_signals();  // before announcing: SIGTERM from then on drains
  // The functional tests wait for this exact line (and read the port from it).
  std::cout << "samverka listening on http://" << host << ":" << *port << std::endl;

  (*application)->start_background();
  std::unique_ptr<registrar> registration;
  if (cs) {
    // A store node: tell the gateways which tenants it serves and where.
    const std::string url = options.advertise.empty()
                                ? "http://" + host + ":" + std::to_string(*port)
                                : options.advertise;
    auto* a = application->get();
    registration =
        std::make_unique<registrar>(cs->redis, options.node_id, url, [a, g = moves.get()] {
          cluster::node_facts facts;
          if (auto snap = a->directory().snapshot())
            for (const auto& [slug, t] : snap->by_slug) {
              if (auto move_id = g->handover(slug)) {  // a move's commit: claimed by its fence
                facts.slugs.insert(slug);
                for (const auto& d : t.domains) facts.domains.emplace(d, slug);
                facts.handover.emplace(slug, *move_id);
                continue;
              }
              if (g->unsettled(slug)) {  // an arrival whose claim may have gone through
                facts.held.insert(slug);
                continue;
              }
              if (g->unregistered(slug)) continue;  // moved away, or still arriving (tenant move)
              if (g->paused(slug)) {  // moving: the target may publish it at any moment
                facts.held.insert(slug);
                continue;
              }
              facts.slugs.insert(slug);
              for (const auto& d : t.domains) facts.domains.emplace(d, slug);
            }
          return facts;
        });
    mover->set_publish([r = registration.get()](const std::function<void()>& before,
                                                const std::function<void()>& on_failure) {
      return r->sync_now(before, on_failure);
    });
  }
  const int rc = server.run(io_threads(options));
  if (mover) mover->set_publish(nullptr);
  registration.reset();
  (*application)->stop_background();
  log_event("info", "stopped");
  return rc;
}

}  // namespace samverka::gateway
