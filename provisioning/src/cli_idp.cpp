// samverkactl idp set / show / remove: the tenant's OpenID Connect provider (Samverka is the
// relying party). The client secret is read from standard input only (never a command-line
// argument, which other local users can see in the process list) and never printed: `show`
// says whether one is set.
#include "cli_idp.hpp"

#include <termios.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <iostream>
#include <optional>

#include "samverka/core/clock.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/oidc.hpp"
#include "samverka/tenant/pool.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::provisioning {

namespace {

namespace json = boost::json;

constexpr int exit_failed = 1;

struct idp_args {
  std::string slug, issuer, client_id, claim_email, label;
  bool secret_stdin = false;
};

// Turns terminal echo off while a secret is typed (no effect when stdin is a pipe).
class quiet_stdin {
 public:
  quiet_stdin() {
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios q = saved_;
      q.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &q) == 0;
      std::cerr << "client secret: " << std::flush;
    }
  }
  ~quiet_stdin() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
      std::cerr << '\n';
    }
  }
  quiet_stdin(const quiet_stdin&) = delete;
  quiet_stdin& operator=(const quiet_stdin&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

class idp_cli {
 public:
  idp_cli(const std::string& data_dir, const bool& json, std::function<void(int, std::string)> f)
      : data_dir_(data_dir), json_(json), fail_(std::move(f)) {}

  void set(const idp_args& a) {
    auto store = open(a.slug);
    auto current = take(store->oidc_get_settings());
    tenant::oidc_settings s;
    s.issuer = a.issuer;
    s.client_id = a.client_id;
    s.email_claim = a.claim_email;
    s.label = a.label;
    if (a.secret_stdin) {
      s.client_secret = read_secret();
    } else if (current) {
      s.client_secret = current->client_secret;  // unchanged unless a new one is given
      // ...but only for the provider it was issued for: another issuer is never sent it.
      if (auto checked = tenant::validate_oidc_settings(s);
          checked && checked->issuer != current->issuer)
        fail("a new issuer needs its own client secret: pipe it to --client-secret-stdin");
    } else {
      fail("a client secret is required: pipe it to --client-secret-stdin");
    }
    auto saved = take(store->oidc_set_settings(s));
    if (json_) return print(a.slug, saved);
    std::cout << "identity provider of " << a.slug << ": " << saved.issuer << " (client "
              << saved.client_id << ", secret set, label \"" << saved.label << "\")\n"
              << "register this redirect URI at the provider: "
              << "http(s)://HOST/t/" << a.slug << "/auth/oidc/callback, or "
              << "http(s)://" << a.slug << ".BASE-DOMAIN/auth/oidc/callback\n";
  }

  void show(const std::string& slug) {
    auto s = take(open(slug)->oidc_get_settings());
    if (!s) {
      if (json_) {
        std::cout << json::serialize(json::object{{"slug", slug}, {"configured", false}}) << '\n';
        return;
      }
      std::cout << "no identity provider configured for " << slug << '\n';
      return;
    }
    if (json_) return print(slug, *s);
    std::cout << "issuer         " << s->issuer << '\n'
              << "client_id      " << s->client_id << '\n'
              << "client_secret  set\n"
              << "email_claim    " << s->email_claim << '\n'
              << "label          " << s->label << '\n'
              << "updated        " << to_rfc3339(s->updated_at_ms) << '\n'
              << "callback path  /auth/oidc/callback (after the tenant's base path)\n";
  }

  void remove(const std::string& slug) {
    auto store = open(slug);
    auto r = store->oidc_remove_settings();
    if (!r && r.err().kind == errc::not_found)
      fail("no identity provider is configured for " + slug);
    take(std::move(r));
    if (json_) {
      std::cout << json::serialize(json::object{{"slug", slug}, {"removed", true}}) << '\n';
      return;
    }
    std::cout << "removed the identity provider of " << slug << '\n';
  }

 private:
  [[noreturn]] void fail(std::string why) {
    fail_(exit_failed, std::move(why));
    std::abort();  // fail_ throws; reaching this is a bug
  }

  template <class T>
  T take(result<T> r) {
    if (!r) fail(r.err().message);
    return std::move(*r);
  }
  void take(result<void> r) {
    if (!r) fail(r.err().message);
  }

  std::shared_ptr<tenant::store> open(const std::string& slug) {
    auto reg = take(registry::open(data_dir_));
    auto t = take(reg->get_tenant(slug));
    return take(tenant::store::open(t.slug, tenant::pool::tenant_dir(data_dir_, t.slug)));
  }

  std::string read_secret() {
    std::string secret;
    bool got = false;
    {
      quiet_stdin q;
      got = static_cast<bool>(std::getline(std::cin, secret)) || !secret.empty();
    }
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    if (!got || secret.empty()) fail("--client-secret-stdin: no secret on standard input");
    return secret;
  }

  void print(const std::string& slug, const tenant::oidc_settings& s) {
    std::cout << json::serialize(json::object{{"slug", slug},
                                              {"configured", true},
                                              {"issuer", s.issuer},
                                              {"client_id", s.client_id},
                                              {"client_secret_set", true},
                                              {"email_claim", s.email_claim},
                                              {"label", s.label},
                                              {"updated_at", to_rfc3339(s.updated_at_ms)},
                                              {"callback_path", "/auth/oidc/callback"}})
              << '\n';
  }

  const std::string& data_dir_;
  const bool& json_;
  std::function<void(int, std::string)> fail_;
};

}  // namespace

void add_idp_commands(CLI::App& app, std::function<void()>& action, const std::string& data_dir,
                      const bool& json, std::function<void(int, std::string)> fail) {
  auto cli = std::make_shared<idp_cli>(data_dir, json, std::move(fail));
  auto args = std::make_shared<idp_args>();
  auto* idp =
      app.add_subcommand("idp", "the tenant's OpenID Connect identity provider (single sign-on)");
  idp->require_subcommand(1);

  auto* set = idp->add_subcommand(
      "set",
      "set the identity provider (replaces the previous one; for the same issuer the secret is "
      "kept unless a new one is piped to --client-secret-stdin)");
  set->add_option("SLUG", args->slug)->required();
  set->add_option("--issuer", args->issuer, "the provider's issuer URL (https)")->required();
  set->add_option("--client-id", args->client_id, "this tenant's client id at the provider")
      ->required();
  set->add_flag("--client-secret-stdin", args->secret_stdin,
                "read the client secret (one line) from standard input");
  set->add_option("--claim-email", args->claim_email,
                  "ID token claim holding the e-mail address (default: email)");
  set->add_option("--label", args->label,
                  "text of the login button (default: the issuer's host name)");
  set->callback([&action, cli, args] { action = [cli, args] { cli->set(*args); }; });

  auto* show = idp->add_subcommand("show", "show the identity provider (never the secret)");
  show->add_option("SLUG", args->slug)->required();
  show->callback([&action, cli, args] { action = [cli, args] { cli->show(args->slug); }; });

  auto* remove = idp->add_subcommand("remove", "remove the identity provider");
  remove->add_option("SLUG", args->slug)->required();
  remove->callback([&action, cli, args] { action = [cli, args] { cli->remove(args->slug); }; });
}

}  // namespace samverka::provisioning
