// samverka — the server. `samverka serve --data-dir DIR [--listen ADDR:PORT]
// [--base-domain DOMAIN] [--redis URL]`; everything else lives in gateway/.
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "samverka/gateway/server.hpp"

int main(int argc, char** argv) {
  CLI::App app{"Samverka: shared municipal intranets"};
  app.require_subcommand(1);
  samverka::gateway::server_options opt;
  if (const char* env = std::getenv("SAMVERKA_DATA_DIR")) opt.data_dir = env;
  std::string redis;
  auto* serve = app.add_subcommand("serve", "Serve every tenant in the data dir over HTTP");
  serve->add_option("--data-dir", opt.data_dir,
                    "Data directory (default $SAMVERKA_DATA_DIR or ./data)");
  serve->add_option("--listen", opt.listen, "Address and port to listen on")->capture_default_str();
  serve->add_option("--base-domain", opt.base_domain, "Tenants answer at SLUG.BASE-DOMAIN")
      ->capture_default_str();
  serve->add_option("--threads", opt.threads, "Worker threads (default: one per core)");
  serve->add_option("--max-open-tenants", opt.max_open_tenants,
                    "Tenant databases kept open at once (least recently used closed first)");
  serve->add_option("--trusted-proxy", opt.trusted_proxies,
                    "Reverse proxy (address or CIDR block, repeatable) whose X-Forwarded-For "
                    "names the client for login throttling and logs; default: none");
  if (const char* env = std::getenv("SAMVERKA_OIDC_CA_FILE")) opt.oidc_ca_file = env;
  serve->add_option("--oidc-ca-file", opt.oidc_ca_file,
                    "PEM CA bundle trusted for OpenID Connect providers instead of the system "
                    "store (default $SAMVERKA_OIDC_CA_FILE)");
  // The daily digest e-mail: on when an SMTP relay is given.
  if (const char* env = std::getenv("SAMVERKA_SMTP_URL")) opt.smtp_url = env;
  serve->add_option("--smtp", opt.smtp_url,
                    "SMTP relay for the daily digest e-mail, e.g. smtp://127.0.0.1:25 (default "
                    "$SAMVERKA_SMTP_URL; no relay: no digest)");
  serve->add_option("--smtp-from", opt.smtp_from, "Sender address of digest e-mails")
      ->capture_default_str();
  serve
      ->add_option("--digest-at", opt.digest_at,
                   "Local time HH:MM the daily digests go out (started later: sent at once)")
      ->capture_default_str();
  serve
      ->add_option("--digest-poll-ms", opt.digest_poll_ms,
                   "How often the digest timer looks at the clock, in milliseconds")
      ->capture_default_str();
  serve->add_option("--redis", redis,
                    "Redis URL (redis://HOST:PORT[/DB]): cluster mode, needs --role and the "
                    "environment variable SAMVERKA_CLUSTER_KEY");
  serve
      ->add_option("--role", opt.role,
                   "Cluster role: gateway (forwards each tenant to its store node) or store "
                   "(serves the tenants in --data-dir)")
      ->check(CLI::IsMember({"gateway", "store"}));
  serve->add_option("--node-id", opt.node_id, "Store node: its unique name in the cluster");
  serve->add_option("--advertise", opt.advertise,
                    "Store node: the URL gateways reach it at (default: http://LISTEN-ADDRESS)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!redis.empty()) opt.redis_url = redis;
  return samverka::gateway::run_server(opt);
}
