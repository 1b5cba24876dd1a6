#include "cli_move.hpp"

#include <boost/json.hpp>

#include <iostream>
#include <memory>

#include "samverka/cluster/placement.hpp"
#include "samverka/core/slug.hpp"

namespace samverka::provisioning {

namespace {

namespace json = boost::json;

constexpr int exit_failed = 1;

struct move_args {
  std::string slug;
  std::string to;
};

// "code: message" of a node's JSON error, else the status.
std::string reply_error(const node_reply& r) {
  json::error_code ec;
  auto v = json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_object())
      if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) {
        std::string out(m->as_string());
        if (const auto* c = e->as_object().if_contains("code"); c && c->is_string())
          out += " (" + std::string(c->as_string()) + ")";
        return out;
      }
  return "HTTP " + std::to_string(r.status);
}

void run_move(const move_args& a, cluster_client* cl, bool as_json,
              const std::function<void(int, std::string)>& fail) {
  if (!cl)
    fail(exit_failed,
         "tenant move works in cluster mode only: give --redis URL (or SAMVERKA_REDIS) and "
         "SAMVERKA_CLUSTER_KEY");
  if (!valid_slug(a.slug)) fail(exit_failed, "invalid slug '" + a.slug + "'");
  auto owner = cl->owner_of(a.slug);
  if (!owner) fail(exit_failed, "cannot read placement from Redis: " + owner.err().message);
  if (!*owner) fail(exit_failed, "no node owns tenant '" + a.slug + "'");
  auto url = cl->node_url(a.to);
  if (!url) fail(exit_failed, "cannot read the node list from Redis: " + url.err().message);
  if (!*url) fail(exit_failed, "unknown node '" + a.to + "' (not registered in Redis)");
  if (**owner == a.to) fail(exit_failed, "tenant '" + a.slug + "' is already on node " + a.to);

  const std::string body = json::serialize(json::object{{"to", a.to}});
  // Without an answer (a time-out, a dropped connection) the move may have happened.
  const std::string check = "; the outcome is unknown: check `redis-cli HGET " +
                            std::string(cluster::placement_key) + " " + a.slug +
                            "` (the node serving it) before trying again";
  auto r = cl->post(**owner, "/internal/v1/tenants/" + a.slug + "/move", body, tenant_move_timeout);
  if (!r)
    fail(exit_failed, "node " + **owner + " (owner of " + a.slug + "): " + r.err().message + check);
  if (r->status == 503 && reply_error(*r).ends_with("(move_outcome_unknown)"))
    fail(exit_failed, "moving " + a.slug + " to " + a.to + ": " + reply_error(*r) + check);
  if (r->status != 200)
    fail(exit_failed, "moving " + a.slug + " to " + a.to + " failed: " + reply_error(*r) +
                          "; it stays on " + **owner);
  json::error_code ec;
  auto v = json::parse(r->body, ec);
  if (ec || !v.is_object())
    fail(exit_failed, "node " + **owner + " answered the move badly (the move may have happened)");
  const auto& o = v.as_object();
  if (as_json) {
    std::cout << json::serialize(o) << '\n';
    return;
  }
  const auto* pause = o.if_contains("pause_ms");
  const auto* aside = o.if_contains("moved_aside");
  std::cout << "moved " << a.slug << " from " << **owner << " to " << a.to;
  if (pause && pause->is_int64()) std::cout << " (writes paused " << pause->as_int64() << " ms)";
  std::cout << '\n';
  if (aside && aside->is_string())
    std::cout << "the old copy is kept on " << **owner << " in " << aside->as_string().c_str()
              << '\n';
  if (const auto* probs = o.if_contains("problems"); probs && probs->is_array())
    for (const auto& p : probs->as_array())
      if (p.is_string()) std::cerr << "warning: " << p.as_string().c_str() << '\n';
}

}  // namespace

void add_move_command(CLI::App& tenant_cmd, std::function<void()>& action,
                      std::function<cluster_client*()> cluster, const bool& json,
                      std::function<void(int, std::string)> fail) {
  auto args = std::make_shared<move_args>();
  auto* mv = tenant_cmd.add_subcommand(
      "move",
      "cluster mode: move the tenant to store node NODE (writes pause briefly; nothing is lost)");
  mv->add_option("SLUG", args->slug)->required();
  mv->add_option("--to", args->to, "id of the store node to move it to")->required();
  mv->callback([&action, &json, args, cluster, fail] {
    action = [&json, args, cluster, fail] { run_move(*args, cluster(), json, fail); };
  });
}

}  // namespace samverka::provisioning
