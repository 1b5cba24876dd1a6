// Tenant moves between store nodes (see tenant_move.hpp for the protocol and its guarantees).
#include "tenant_move.hpp"

#include <boost/json.hpp>

#include <ctime>
#include <fstream>
#include <thread>
#include <vector>

#include "app.hpp"
#include "errors.hpp"
#include "json_input.hpp"
#include "json_output.hpp"
#include "log.hpp"
#include "samverka/cluster/placement.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"
#include "tenant_resolution.hpp"

namespace samverka::gateway {

namespace fs = std::filesystem;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

// Kept in step with cluster.hpp (not included here to keep this file's dependencies small).
constexpr std::string_view key_header = "x-samverka-node-key";
constexpr std::string_view session_resolve = "/internal/v1/sessions/resolve";
constexpr std::string_view session_revoke = "/internal/v1/sessions/revoke";
// Move ids are random tokens (base64url) chosen by the source.
constexpr std::size_t move_id_bytes = 12;
constexpr std::size_t max_move_id = 64;
// Copy buffer for archive parts.
constexpr std::size_t copy_buffer_bytes = 1024 * 1024;

bool valid_move_id(std::string_view id) {
  if (id.size() < 8 || id.size() > max_move_id) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

bool state_changing(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::optional<std::uint64_t> query_offset(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  auto query = target.substr(q + 1);
  if (!query.starts_with("offset=")) return std::nullopt;
  query.remove_prefix(7);
  if (query.empty() || query.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : query) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// "HOST:PORT" of "http://HOST:PORT[/]" (the Host header of node-to-node requests).
std::string host_of(std::string_view url) {
  if (url.starts_with("http://")) url.remove_prefix(7);
  while (url.ends_with('/')) url.remove_suffix(1);
  return std::string(url);
}

std::string utc_stamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::int64_t ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// Appends [from) to `to`; the number of bytes copied.
result<std::uint64_t> append_file(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::app);
  if (!in || !out) return error(errc::internal, "move_io", "cannot open " + to.string());
  std::vector<char> buf(copy_buffer_bytes);
  std::uint64_t n = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = in.gcount();
    if (got <= 0) break;
    out.write(buf.data(), got);
    n += static_cast<std::uint64_t>(got);
  }
  out.flush();
  if (!out) return error(errc::internal, "move_io", "cannot write " + to.string());
  return n;
}

// Copies `len` bytes at `offset` of `from` into a new file `to`.
result<void> copy_range(const fs::path& from, std::uint64_t offset, std::uint64_t len,
                        const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  if (!in || !out) return error(errc::internal, "move_io", "cannot open " + to.string());
  in.seekg(static_cast<std::streamoff>(offset));
  std::vector<char> buf(copy_buffer_bytes);
  while (len > 0 && in) {
    in.read(buf.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(len, buf.size())));
    const auto got = in.gcount();
    if (got <= 0) break;
    out.write(buf.data(), got);
    len -= static_cast<std::uint64_t>(got);
  }
  out.flush();
  if (len != 0 || !out) return error(errc::internal, "move_io", "cannot write " + to.string());
  return {};
}

// The error body of a node's answer, for messages ("code: message").
std::string node_error(const http_response& res) {
  json::error_code ec;
  auto v = json::parse(res.body, ec);
  if (!ec && v.is_object())
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_object()) {
      const auto* code = e->as_object().if_contains("code");
      const auto* msg = e->as_object().if_contains("message");
      if (code && msg && code->is_string() && msg->is_string())
        return std::string(code->as_string()) + ": " + std::string(msg->as_string());
    }
  return "HTTP " + std::to_string(res.status);
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
}

}  // namespace

// ---- move_gate ------------------------------------------------------------------------------

bool move_gate::admit(std::string_view slug, bool write) {
  std::lock_guard lock(mu_);
  auto it = slugs_.find(slug);
  if (it == slugs_.end()) {
    if (write) slugs_[std::string(slug)].writes = 1;
    return true;
  }
  auto& e = it->second;
  if (e.moved || e.hidden || (write && e.paused)) return false;
  if (write) ++e.writes;
  return true;
}

void move_gate::end_write(std::string_view slug) {
  std::lock_guard lock(mu_);
  auto it = slugs_.find(slug);
  if (it == slugs_.end()) return;
  if (it->second.writes > 0) --it->second.writes;
  if (it->second.writes == 0) idle_cv_.notify_all();
  tidy_locked(slug);
}

bool move_gate::pause(std::string_view slug) {
  std::lock_guard lock(mu_);
  auto& e = slugs_[std::string(slug)];
  if (e.paused || e.moved || e.hidden) return false;
  e.paused = true;
  return true;
}

bool move_gate::wait_idle(std::string_view slug, clock_type::time_point deadline) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_until(lock, deadline, [&] {
    auto it = slugs_.find(slug);
    return it == slugs_.end() || it->second.writes == 0;
  });
}

void move_gate::resume(std::string_view slug) {
  std::lock_guard lock(mu_);
  if (auto it = slugs_.find(slug); it != slugs_.end()) it->second.paused = false;
  tidy_locked(slug);
}

void move_gate::mark_moved(std::string_view slug) {
  std::lock_guard lock(mu_);
  auto& e = slugs_[std::string(slug)];
  e.moved = true;
  e.paused = false;
}

void move_gate::hide(std::string_view slug) {
  std::lock_guard lock(mu_);
  auto& e = slugs_[std::string(slug)];
  e.hidden = true;
  e.moved = false;  // the tenant is coming back here
}

void move_gate::unhide(std::string_view slug) {
  std::lock_guard lock(mu_);
  if (auto it = slugs_.find(slug); it != slugs_.end()) it->second.hidden = false;
  tidy_locked(slug);
}

void move_gate::set_handover(std::string_view slug, std::string move_id) {
  std::lock_guard lock(mu_);
  handovers_[std::string(slug)] = std::move(move_id);
}

void move_gate::clear_handover(std::string_view slug) {
  std::lock_guard lock(mu_);
  if (auto it = handovers_.find(slug); it != handovers_.end()) handovers_.erase(it);
}

std::optional<std::string> move_gate::handover(std::string_view slug) {
  std::lock_guard lock(mu_);
  auto it = handovers_.find(slug);
  if (it == handovers_.end()) return std::nullopt;
  return it->second;
}

void move_gate::set_unsettled(std::string_view slug, bool unsettled) {
  std::lock_guard lock(mu_);
  if (unsettled)
    unsettled_.insert(std::string(slug));
  else if (auto it = unsettled_.find(slug); it != unsettled_.end())
    unsettled_.erase(it);
}

bool move_gate::unsettled(std::string_view slug) {
  std::lock_guard lock(mu_);
  return unsettled_.find(slug) != unsettled_.end();
}

bool move_gate::unregistered(std::string_view slug) {
  std::lock_guard lock(mu_);
  auto it = slugs_.find(slug);
  return it != slugs_.end() && (it->second.moved || it->second.hidden);
}

bool move_gate::paused(std::string_view slug) {
  std::lock_guard lock(mu_);
  auto it = slugs_.find(slug);
  return it != slugs_.end() && (it->second.paused || it->second.moved || it->second.hidden);
}

void move_gate::tidy_locked(std::string_view slug) {
  auto it = slugs_.find(slug);
  if (it == slugs_.end()) return;
  const auto& e = it->second;
  if (!e.paused && !e.hidden && !e.moved && e.writes == 0) slugs_.erase(it);
}

http_response tenant_moving_response() {
  auto res = error_response(503, "tenant_moving",
                            "this municipality is moving to another server; try again in a moment");
  res.set_header("Retry-After", std::to_string(limits::move_retry_after.count()));
  return res;
}

// ---- move_admission -------------------------------------------------------------------------

move_admission::move_admission(tenant_mover& mover, const http_request& req) {
  const auto path = path_of(req.target);
  std::string slug;
  bool write = state_changing(req.method);
  if (path == session_resolve || path == session_revoke) {
    // The session's home tenant is the one read (resolve) or written (revoke).
    const std::string_view token = req.body;
    if (auto dot = token.find('.'); dot != std::string_view::npos) slug = token.substr(0, dot);
    write = path == session_revoke;
  } else if (path.starts_with("/internal/")) {
    return;  // other node-to-node endpoints name no tenant in the address
  } else {
    slug = resolve_tenant(req.host, req.target, mover.base_domain()).slug;
  }
  if (slug.empty()) return;
  if (!mover.gate().admit(slug, write)) {
    refused = tenant_moving_response();
    return;
  }
  if (write) {
    counted_ = &mover.gate();
    slug_ = std::move(slug);
  }
}

move_admission::~move_admission() {
  if (counted_) counted_->end_write(slug_);
}

// ---- tenant_mover ---------------------------------------------------------------------------

tenant_mover::tenant_mover(app& a, move_gate& gate, config cfg)
    : app_(a), gate_(gate), cfg_(std::move(cfg)), redis_(cfg_.redis) {
  // Staging of moves a restart interrupted: archives, never a registered tenant.
  const auto moving = cfg_.data_dir / "moving";
  remove_quietly(moving);
  std::error_code ec;
  fs::create_directories(moving, ec);
  // Tenants whose arrival a crash interrupted (DATA/arriving/SLUG, written before the import and
  // removed once settled). Committed if placement names this node; otherwise the source still
  // has it (or resumed), so this copy stays hidden - never registered - until an operator
  // deletes it here, rather than risking two owners or deleting writes made after a commit.
  const auto arriving = cfg_.data_dir / "arriving";
  fs::create_directories(arriving, ec);
  for (fs::directory_iterator it(arriving, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string slug = it->path().filename().string();
    if (!valid_slug(slug)) continue;
    auto here = app_.directory().registry().get_tenant(slug);
    auto owner = redis_hget(cluster::placement_key, slug);
    if (!here || (owner && *owner && **owner == cfg_.node_id)) {
      remove_quietly(it->path());
      continue;
    }
    gate_.hide(slug);
    log_event("error",
              "tenant move: an arrival was interrupted; the tenant stays unregistered here",
              {{"tenant", slug},
               {"action",
                "check which node serves it; then `samverkactl tenant delete` it here, "
                "or remove DATA/arriving/" +
                    slug + " and restart to keep this copy"}});
  }
  // Moves away whose outcome could not be settled (DATA/leaving/SLUG, see move()): the tenant is
  // served here again only if placement still names this node; otherwise it stays unserved and
  // unclaimed (the target may own it) until an operator settles it.
  const auto leaving = cfg_.data_dir / "leaving";
  ec.clear();
  for (fs::directory_iterator it(leaving, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string slug = it->path().filename().string();
    if (!valid_slug(slug)) continue;
    // The move's fence settles it if Redis still holds it: consumed here, the target can no
    // longer claim the tenant, so it is served here again.
    std::string move_id, to;
    std::ifstream(it->path()) >> move_id >> to;
    if (!move_id.empty() && cluster::valid_node_id(to))
      if (auto f = cluster::settle_move_fence(redis_, slug, move_id, to);
          f && *f == cluster::fence_outcome::aborted) {
        remove_quietly(it->path());
        continue;
      }
    auto owner = redis_hget(cluster::placement_key, slug);
    if (owner && *owner && **owner == cfg_.node_id) {
      remove_quietly(it->path());
      continue;
    }
    gate_.mark_moved(slug);
    log_event(
        "error",
        "tenant move: an earlier move's outcome is unknown; the tenant stays unserved here",
        {{"tenant", slug},
         {"owner", owner && *owner ? **owner : std::string("(unknown)")},
         {"action", "if another node serves it, keep this copy as a backup (DATA/tenants/" + slug +
                        "); if none does, remove DATA/leaving/" + slug + " and restart"}});
  }
}

tenant_mover::~tenant_mover() = default;

void tenant_mover::set_publish(publish_fn publish) {
  publish_ = std::move(publish);
}

const std::string& tenant_mover::base_domain() const {
  return app_.base_domain();
}

std::optional<fs::path> tenant_mover::spool_dir(std::string_view method,
                                                std::string_view target) const {
  const auto path = path_of(target);
  if (method != "POST" || !path.starts_with(import_internal_prefix) || !path.ends_with("/part"))
    return std::nullopt;
  return cfg_.data_dir / "moving";
}

std::optional<http_response> tenant_mover::handle(const http_request& req) {
  const auto path = path_of(req.target);
  if (!path.starts_with(tenants_internal_prefix)) return std::nullopt;
  // Gateways forward clients' requests with the key too, but always add X-Forwarded-For: a
  // client must never reach these through a gateway (moving or importing tenants).
  if (req.header("x-forwarded-for")) return error_response(404, "not_found", "no such endpoint");
  if (req.method != "POST") {
    auto res = error_response(405, "method_not_allowed", "use POST");
    res.set_header("Allow", "POST");
    return res;
  }
  try {
    if (path.starts_with(import_internal_prefix)) {
      auto rest = path.substr(import_internal_prefix.size());
      const auto slash = rest.find('/');
      if (slash == std::string_view::npos)
        return error_response(404, "not_found", "no such endpoint");
      const std::string id(rest.substr(0, slash));
      const auto verb = rest.substr(slash + 1);
      if (!valid_move_id(id)) return error_response(400, "invalid_move", "malformed move id");
      if (verb == "part") return receive_part(id, req);
      if (verb == "activate") return activate(id, req);
      if (verb == "abort") return abort(id, req);
      return error_response(404, "not_found", "no such endpoint");
    }
    auto rest = path.substr(tenants_internal_prefix.size());
    if (!rest.ends_with("/move")) return error_response(404, "not_found", "no such endpoint");
    const std::string slug(rest.substr(0, rest.size() - 5));
    if (!valid_slug(slug)) return error_response(404, "tenant_not_found", "no such tenant");
    return move(slug, req);
  } catch (const std::exception& e) {
    log_event("error", "tenant move threw", {{"what", e.what()}});
    return error_response(500, "internal", "internal error; it has been logged");
  }
}

result<std::optional<std::string>> tenant_mover::redis_hget(std::string_view key,
                                                            std::string_view field) {
  auto r = redis_.command({"HGET", std::string(key), std::string(field)});
  if (!r) return r.err();
  if (r->type != cluster::reply::kind::string) return std::optional<std::string>();
  return std::optional<std::string>(r->str);
}

result<http_response> tenant_mover::post_node(const std::string& url, const std::string& path,
                                              std::string body, std::chrono::milliseconds timeout) {
  http_request req;
  req.method = "POST";
  req.target = path;
  req.host = host_of(url);
  req.headers.emplace_back("content-type", "application/json");
  req.body = std::move(body);
  return upstream_.forward(url, req, {{std::string(key_header), cfg_.cluster_key}}, timeout);
}

result<void> tenant_mover::send_archive(const std::string& url, const std::string& move_id,
                                        const fs::path& archive, clock_type::time_point deadline) {
  const std::uint64_t total = fs::file_size(archive);
  const auto part_file = archive.string() + ".part";
  std::uint64_t offset = 0;
  do {
    if (clock_type::now() >= deadline)
      return error(errc::unavailable, "move_timeout", "the transfer did not finish in time");
    const std::uint64_t len = std::min<std::uint64_t>(total - offset, limits::move_part_bytes);
    http_request req;
    req.method = "POST";
    req.target =
        std::string(import_internal_prefix) + move_id + "/part?offset=" + std::to_string(offset);
    req.host = host_of(url);
    req.headers.emplace_back("content-type", "application/octet-stream");
    if (offset == 0 && len == total) {
      req.body_file = archive;
    } else {
      if (auto c = copy_range(archive, offset, len, part_file); !c) return c.err();
      req.body_file = fs::path(part_file);
    }
    auto res = upstream_.forward(url, req, {{std::string(key_header), cfg_.cluster_key}});
    remove_quietly(part_file);
    if (!res)
      return error(errc::unavailable, "target_unavailable",
                   "the target node cannot be reached: " + res.err().message);
    if (res->status != 200)
      return error(errc::unavailable, "target_refused",
                   "the target node refused the transfer: " + node_error(*res));
    if (offset == 0) {
      json::error_code jec;
      const auto v = json::parse(res->body, jec);
      const auto* f = !jec && v.is_object() ? v.as_object().if_contains("fence") : nullptr;
      if (!f || !f->is_bool() || !f->as_bool())
        return error(errc::conflict, "target_too_old",
                     "the target node runs an older version without move fences; upgrade it");
    }
    offset += len;
  } while (offset < total);
  return {};
}

http_response tenant_mover::move(const std::string& slug, const http_request& req) {
  static constexpr field_rule rules[] = {{"to", json_type::string, true}};
  auto body = parse_json_body(req, rules);
  if (!body) return error_response(body.err());
  const std::string to = *get_string(*body, "to");
  if (!cluster::valid_node_id(to))
    return error_response(400, "invalid_node", "'" + to + "' is not a node id");
  if (to == cfg_.node_id)
    return error_response(409, "already_there",
                          "tenant '" + slug + "' is already on node " + cfg_.node_id);
  auto& reg = app_.directory().registry();
  auto t = reg.get_tenant(slug);
  if (!t) return error_response(t.err());
  if (t->state != provisioning::tenant_state::active)
    return error_response(409, "tenant_suspended",
                          "tenant '" + slug + "' is suspended; resume it before moving it");
  auto url = redis_hget(cluster::nodes_key, to);
  if (!url) return error_response(503, "redis_unavailable", "cannot read the node list from Redis");
  if (!*url) return error_response(404, "node_not_found", "no node '" + to + "' is registered");
  if (!publish_)
    return error_response(503, "not_ready", "this node has not registered in Redis yet");
  if (!gate_.pause(slug))
    return error_response(409, "move_in_progress", "tenant '" + slug + "' is already moving");

  const auto paused_at = clock_type::now();
  const auto deadline = paused_at + limits::move_pause_limit;
  const std::string move_id = crypto::random_token(move_id_bytes);
  const fs::path archive = cfg_.data_dir / "moving" / ("out-" + move_id + ".tar");
  struct cleanup {
    fs::path p;
    ~cleanup() {
      remove_quietly(p);
      remove_quietly(p.string() + ".tmp");
      remove_quietly(p.string() + ".part");
    }
  } archive_cleanup{archive};
  bool target_touched = false;
  bool fenced = false;
  bool activation_sent = false;  // from here the target may own the tenant
  bool fence_ours = false;       // this node consumed the fence: the target can claim no more

  // The outcome cannot be settled (the target and Redis unreachable): resuming writes here could
  // give the tenant two owners, so it stays paused (held out of this node's placement) until an
  // operator has checked; DATA/leaving/SLUG keeps it unserved across a restart (constructor).
  const auto undecided = [&](const std::string& detail) -> http_response {
    std::error_code mec;
    fs::create_directories(cfg_.data_dir / "leaving", mec);
    std::ofstream(cfg_.data_dir / "leaving" / slug) << move_id << ' ' << to << '\n';
    log_event("error", "tenant move: outcome unknown; the tenant stays paused here",
              {{"tenant", slug},
               {"to", to},
               {"detail", detail},
               {"action", "check `redis-cli HGET " + std::string(cluster::placement_key) + " " +
                              slug + "`; then restart this node (it serves the tenant again " +
                              "only if placement names it)"}});
    return error_response(503, "move_outcome_unknown",
                          "the move of '" + slug + "' to " + to + " could not be settled (" +
                              detail + "); the tenant stays paused on " + cfg_.node_id +
                              "; check placement in Redis");
  };

  // Any failure before the switch: the target discards, placement is ours again, writes resume.
  // Called only once the target cannot claim the tenant: before the activation was sent, or
  // after this node consumed the fence (or the target confirmed the abort).
  const std::string abort_body = json::serialize(json::object{{"slug", slug}});
  const auto fail = [&](const error& e, bool target_discarded = false) -> http_response {
    if (fenced) {  // drop the fence; if the target consumed it, it owns the tenant now
      auto settled = cluster::settle_move_fence(redis_, slug, move_id, to);
      if (settled && *settled == cluster::fence_outcome::aborted) fence_ours = true;
      if (settled && *settled == cluster::fence_outcome::committed && !target_discarded)
        return undecided("node " + to + " took the tenant over while this node gave up (" +
                         e.message + ")");
    }
    if (target_touched && !target_discarded) {
      auto a =
          post_node(**url, std::string(import_internal_prefix) + move_id + "/abort", abort_body);
      if (a && a->status == 409)  // it activated after all
        return undecided("node " + to + " activated the tenant while this node gave up (" +
                         e.message + ")");
      // After the activation, resuming needs proof the target cannot own the tenant.
      if (activation_sent && !fence_ours && !(a && a->status == 200))
        return undecided("node " + to + " did not confirm the abort (" + e.message + ")");
      if (!a)
        log_event("warn", "tenant move: abort not confirmed by the target",
                  {{"tenant", slug}, {"to", to}});
    }
    // Resumed inside the publication: while paused the registrar holds the slug (neither
    // claims nor releases it), so the claim is written again only now.
    if (auto p = publish_([&] { gate_.resume(slug); }, nullptr); !p)
      log_event("warn", "tenant move: cannot re-register", {{"detail", p.err().message}});
    log_event("warn", "tenant move failed",
              {{"tenant", slug}, {"to", to}, {"code", e.code}, {"detail", e.message}});
    return error_response(e.kind == errc::internal ? 500 : http_status(e), e.code, e.message);
  };

  std::vector<provisioning::remote_partnership> staying;  // local partners: they stay here
  try {  // (an exception must not leave the tenant paused)
    if (!gate_.wait_idle(slug, deadline))
      return fail(
          error(errc::unavailable, "move_timeout", "running writes did not finish in time"));
    if (auto m = reg.export_tenant(slug, archive); !m)
      return fail(error(errc::unavailable, m.err().code, "export failed: " + m.err().message));

    // The partners travel with the tenant: local pairs (by name) and cross-node ones.
    json::array partners;
    auto pairs = reg.partnerships();
    auto remote = reg.remote_partners();
    if (!pairs || !remote)
      return fail(error(errc::unavailable, "registry_busy", "cannot read the partnerships"));
    for (const auto& p : *pairs) {
      if (p.a != slug && p.b != slug) continue;
      const std::string other = p.a == slug ? p.b : p.a;
      auto o = reg.get_tenant(other);
      if (!o) return fail(error(errc::unavailable, "registry_busy", "cannot read tenant " + other));
      partners.push_back(json::object{{"slug", other}, {"name", o->name}});
      staying.push_back({other, slug, t->name, p.since_ms});
    }
    for (const auto& r : *remote)
      if (r.local == slug)
        partners.push_back(json::object{{"slug", r.remote}, {"name", r.remote_name}});

    // The fence: the target can claim the tenant only while Redis holds this move's id there.
    if (auto f =
            redis_.command({"SET", cluster::move_fence_key(slug), move_id, "PX",
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               limits::move_fence_ttl)
                                               .count())});
        !f)
      return fail(error(errc::unavailable, "redis_unavailable",
                        "cannot write the move's fence: " + f.err().message));
    fenced = true;
    target_touched = true;
    if (auto s = send_archive(**url, move_id, archive, deadline); !s) return fail(s.err());
    const auto budget = ms_between(clock_type::now(), deadline);
    if (budget <= 0)
      return fail(error(errc::unavailable, "move_timeout", "the transfer did not finish in time"));
    json::object act{{"slug", slug},
                     {"from", cfg_.node_id},
                     {"bytes", static_cast<std::int64_t>(fs::file_size(archive))},
                     {"budget_ms", budget},
                     {"partners", std::move(partners)}};
    // The activation answers once the import is in: allow it the move's whole remaining budget.
    activation_sent = true;
    auto res = post_node(**url, std::string(import_internal_prefix) + move_id + "/activate",
                         json::serialize(act),
                         std::chrono::milliseconds(budget) + limits::move_settle_margin);
    bool committed = false;
    if (res && res->status == 200) {
      committed = true;
    } else {
      // Refused, or no answer (the target may still be activating). First the fence: consuming
      // it makes the target's claim impossible, so the move is over. Otherwise (the target
      // consumed it, Redis lost it, or Redis cannot be reached) the target's own word decides:
      // its abort waits for a running activation and answers 409 once one went through, 200
      // once it holds nothing (a claim of its that reached placement is then overwritten by
      // this node's registration).
      const auto refused_error = [&] {
        return res ? error(errc::unavailable, "target_refused",
                           "node " + to + " refused the import: " + node_error(*res))
                   : error(errc::unavailable, "target_unavailable",
                           "node " + to + " did not confirm the import");
      };
      const auto ask_abort = [&] {
        return post_node(**url, std::string(import_internal_prefix) + move_id + "/abort",
                         abort_body);
      };
      const auto clear = [](const result<http_response>& a) {
        return a && (a->status == 200 || a->status == 409);
      };
      auto settled = cluster::settle_move_fence(redis_, slug, move_id, to);
      if (settled && *settled == cluster::fence_outcome::aborted) {
        fence_ours = true;
        return fail(refused_error());
      }
      auto a = ask_abort();
      if (!clear(a)) {
        // No clear answer yet: the target claims only within its budget; after it, ask both
        // again.
        std::this_thread::sleep_until(deadline + limits::move_settle_margin);
        settled = cluster::settle_move_fence(redis_, slug, move_id, to);
        if (settled && *settled == cluster::fence_outcome::aborted) {
          fence_ours = true;
          return fail(refused_error());
        }
        a = ask_abort();
      }
      if (a && a->status == 409) {
        committed = true;  // activated after all
      } else if (a && a->status == 200) {
        target_touched = false;
        return fail(refused_error(), /*target_discarded=*/true);
      } else if (settled && *settled == cluster::fence_outcome::committed) {
        committed = true;  // the target cannot be asked, but it consumed the fence and claimed
      } else {
        return undecided(settled ? "node " + to + " did not answer, nor confirm an abort"
                                 : "neither node " + to + " nor Redis can be reached");
      }
    }
  } catch (const std::exception& e) {
    return fail(error(errc::internal, "move_failed", std::string("unexpected: ") + e.what()));
  }

  // The switch: the target owns the tenant (its placement is published). From here nothing
  // is undone; what fails is reported and logged, and the data stays on disk.
  gate_.mark_moved(slug);
  const auto switched_at = clock_type::now();
  std::vector<std::string> problems;
  const fs::path moved_dir = cfg_.data_dir / "moved";
  const fs::path aside = moved_dir / (slug + "-" + utc_stamp() + "-" + move_id.substr(0, 6));
  std::error_code ec;
  fs::create_directories(moved_dir, ec);
  fs::rename(cfg_.data_dir / "tenants" / slug, aside, ec);
  if (ec) {
    // The registry row stays (deleting it would delete the files): the tenant stays out of this
    // node's placement and answers tenant_moving until an operator cleans up.
    problems.push_back("moving the old copy aside failed: " + ec.message());
  } else {
    // One transaction: the sharing relay never sees a staying partner's partnership end.
    if (auto d = reg.delete_tenant_keeping_partners(slug, staying); !d)
      problems.push_back("removing the registry row failed: " + d.err().message);
  }
  (void)app_.directory().refresh();
  if (auto p = publish_(nullptr, nullptr); !p)
    problems.push_back("re-registering failed (retried every second): " + p.err().message);
  const auto pause_ms = ms_between(paused_at, switched_at);
  log_event("info", "tenant moved",
            {{"tenant", slug},
             {"to", to},
             {"pause_ms", std::to_string(pause_ms)},
             {"moved_aside", aside.string()}});
  for (const auto& p : problems)
    log_event("error", "tenant move: cleanup on the old node", {{"tenant", slug}, {"detail", p}});
  json::array probs;
  for (auto& p : problems) probs.push_back(json::string(p));
  return json_response(200, json::object{{"tenant", slug},
                                         {"from", cfg_.node_id},
                                         {"to", to},
                                         {"pause_ms", pause_ms},
                                         {"moved_aside", aside.string()},
                                         {"problems", std::move(probs)}});
}

std::shared_ptr<tenant_mover::incoming> tenant_mover::find_incoming(const std::string& move_id) {
  std::lock_guard lock(incoming_mu_);
  auto it = incoming_.find(move_id);
  return it == incoming_.end() ? nullptr : it->second;
}

void tenant_mover::drop_incoming(const std::string& move_id) {
  std::lock_guard lock(incoming_mu_);
  incoming_.erase(move_id);
}

http_response tenant_mover::receive_part(const std::string& move_id, const http_request& req) {
  const auto offset = query_offset(req.target);
  if (!offset) return error_response(400, "invalid_parameter", "offset: a byte offset is required");
  std::shared_ptr<incoming> in;
  {
    std::lock_guard lock(incoming_mu_);
    // Settled moves are forgotten after a while (an abort asked late still learns the outcome);
    // moves whose source gave up without an abort (it crashed) lose their staging then too.
    const auto now = clock_type::now();
    std::size_t running = 0;
    for (auto it = incoming_.begin(); it != incoming_.end();) {
      std::unique_lock held(it->second->mu, std::try_to_lock);
      const bool settled = held && it->second->state != incoming::phase::receiving;
      if (held && now - it->second->started > 2 * limits::move_pause_limit &&
          it->second->state != incoming::phase::unsettled) {
        remove_quietly(it->second->archive);
        held.unlock();
        it = incoming_.erase(it);
        continue;
      }
      if (!settled) ++running;
      ++it;
    }
    auto it = incoming_.find(move_id);
    if (it != incoming_.end()) {
      in = it->second;
    } else {
      if (*offset != 0) return error_response(404, "unknown_move", "no such move");
      if (running >= limits::max_incoming_moves)
        return error_response(503, "too_many_moves", "this node is receiving other moves");
      in = std::make_shared<incoming>();
      in->archive = cfg_.data_dir / "moving" / ("in-" + move_id + ".tar");
      in->started = now;
      incoming_.emplace(move_id, in);
    }
  }
  std::lock_guard lock(in->mu);
  if (in->state != incoming::phase::receiving)
    return error_response(409, "move_not_receiving", "this move is no longer receiving");
  if (*offset != in->size)
    return error_response(409, "bad_offset", "expected offset " + std::to_string(in->size));
  if (req.body_file) {
    auto n = append_file(*req.body_file, in->archive);
    if (!n) return error_response(n.err());
    in->size += *n;
    std::error_code ec;
    fs::remove(*req.body_file, ec);
  } else {
    std::ofstream out(in->archive, std::ios::binary | std::ios::app);
    out.write(req.body.data(), static_cast<std::streamsize>(req.body.size()));
    if (!out) return error_response(500, "internal", "cannot write the archive");
    in->size += req.body.size();
  }
  // "fence": this node claims arriving tenants only through the move's fence (a source refuses
  // a target that does not say so: it could claim over the source's head).
  return json_response(
      200, json::object{{"received", static_cast<std::int64_t>(in->size)}, {"fence", true}});
}

http_response tenant_mover::activate(const std::string& move_id, const http_request& req) {
  json::error_code jec;
  auto v = json::parse(req.body, jec);
  const json::object* o = (!jec && v.is_object()) ? &v.as_object() : nullptr;
  const auto str = [&](std::string_view k) -> std::string {
    const auto* f = o ? o->if_contains(k) : nullptr;
    return f && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  const auto num = [&](std::string_view k) -> std::int64_t {
    const auto* f = o ? o->if_contains(k) : nullptr;
    return f && f->is_int64() ? f->as_int64() : -1;
  };
  const std::string slug = str("slug");
  const std::int64_t bytes = num("bytes");
  const std::int64_t budget = num("budget_ms");
  const auto* plist = o ? o->if_contains("partners") : nullptr;
  if (!valid_slug(slug) || bytes < 0 || budget <= 0 || !plist || !plist->is_array())
    return error_response(400, "invalid_body", "slug, bytes, budget_ms and partners are required");
  const auto deadline = clock_type::now() + std::chrono::milliseconds(budget);

  auto in = find_incoming(move_id);
  if (!in) return error_response(404, "unknown_move", "no such move");
  std::lock_guard lock(in->mu);
  // Activating twice (a request repeated after a lost answer) answers the same.
  if (in->state == incoming::phase::active)
    return json_response(200, json::object{{"tenant", slug}, {"node", cfg_.node_id}});
  if (in->state != incoming::phase::receiving)
    return error_response(409, "move_not_receiving", "this move is no longer receiving");
  if (static_cast<std::uint64_t>(bytes) != in->size)
    return error_response(
        400, "incomplete_archive",
        "received " + std::to_string(in->size) + " of " + std::to_string(bytes) + " bytes");
  auto& reg = app_.directory().registry();
  if (auto here = reg.get_tenant(slug); here || here.err().kind != errc::not_found)
    return error_response(409, "slug_taken",
                          "node " + cfg_.node_id + " already has '" + slug + "'");
  in->state = incoming::phase::activating;

  // Until it is published the tenant stays out of this node's placement and answers
  // tenant_moving here (a gateway cannot route to it yet anyway); the marker file carries that
  // across a crash (see the constructor).
  gate_.hide(slug);
  const fs::path marker = cfg_.data_dir / "arriving" / slug;
  {
    std::ofstream m(marker);
    if (!m) {
      gate_.unhide(slug);
      in->state = incoming::phase::aborted;
      remove_quietly(in->archive);
      return error_response(500, "internal", "cannot write " + marker.string());
    }
  }
  // Cross-node rows naming the tenant, dropped by the import (restored by an undo).
  std::vector<provisioning::remote_partnership> restore;
  bool imported = false;
  const auto fail = [&](int status, std::string code, std::string message) {
    if (imported) {
      // One transaction, so local partners never appear to lose the partnership meanwhile.
      if (auto d = reg.delete_tenant_keeping_partners(slug, restore); !d)
        log_event("error", "tenant move: cannot discard an import",
                  {{"tenant", slug}, {"detail", d.err().message}});
      (void)app_.directory().refresh();
      if (publish_) (void)publish_(nullptr, nullptr);  // drops it if the registrar wrote it
    }
    gate_.set_unsettled(slug, false);
    gate_.unhide(slug);
    remove_quietly(marker);
    in->state = incoming::phase::aborted;
    remove_quietly(in->archive);
    log_event("warn", "tenant move: import refused",
              {{"tenant", slug}, {"code", code}, {"detail", message}});
    return error_response(status, code, message);
  };

  try {  // (an exception must not leave an unpublished import behind)
    std::vector<provisioning::registry::arriving_partner> partners;
    for (const auto& p : plist->as_array()) {
      const auto* po = p.if_object();
      const auto* ps = po ? po->if_contains("slug") : nullptr;
      const auto* pn = po ? po->if_contains("name") : nullptr;
      if (!ps || !pn || !ps->is_string() || !pn->is_string())
        return fail(400, "invalid_body", "partners: [{slug, name}] expected");
      partners.push_back({std::string(ps->as_string()), std::string(pn->as_string())});
    }
    // The tenant and its partnerships appear in one transaction: a partner here becomes a local
    // pair only if it holds the mirror half; one-sided halves naming the tenant are dropped.
    auto imp = reg.import_moved_tenant(in->archive, slug, partners, restore);
    if (!imp) return fail(http_status(imp.err()), imp.err().code, imp.err().message);
    imported = true;
    if (!imp->skipped_domains.empty())
      return fail(409, "domain_taken",
                  "domains owned by another tenant on node " + cfg_.node_id + ": " +
                      imp->skipped_domains.front());
    if (auto r = app_.directory().refresh(); !r) return fail(503, r.err().code, r.err().message);
    if (!publish_) return fail(503, "not_ready", "this node has not registered in Redis yet");
    if (clock_type::now() >= deadline)
      return fail(503, "move_timeout", "the import did not finish within the move's time limit");
    // The commit point: placement names this node. Unhidden only inside the publication, so the
    // registrar's own sync cannot publish the tenant before (or after a failed) commit.
    // The claim consumes the move's fence: refused if the source has given the move up.
    // The copy stays hidden (no request, no background work) while claiming: it is registered
    // through the handover, and held while the outcome is unknown (see move_gate).
    const auto claim = [&] {
      auto r = publish_(
          [&] {
            gate_.set_handover(slug, move_id);
            gate_.set_unsettled(slug, true);
          },
          nullptr);
      gate_.clear_handover(slug);
      return r;
    };
    auto pub = claim();
    // A failure other than the fence may come after the claim went through (only its answer
    // lost): try again (a claim is a no-op success once placement names this node).
    while (!pub && pub.err().code != "move_fenced" && clock_type::now() < deadline) {
      std::this_thread::sleep_for(limits::move_claim_retry);
      pub = claim();
    }
    if (!pub && pub.err().code == "move_fenced") {
      gate_.set_unsettled(slug, false);
      return fail(409, "move_fenced", "the source gave this move up; the tenant stays there");
    }
    if (!pub) {
      // Still unknown whether the claim reached Redis: nothing is deleted. The copy stays
      // hidden and held here (DATA/arriving keeps it so across a restart); the source's next
      // abort settles it by placement (abort()).
      in->state = incoming::phase::unsettled;
      in->slug = slug;
      in->restore = restore;
      remove_quietly(in->archive);
      log_event("error", "tenant move: arrival not published; the copy stays hidden here",
                {{"tenant", slug},
                 {"detail", pub.err().message},
                 {"action", "check which node serves it; then `samverkactl tenant delete " + slug +
                                " --yes` here"}});
      return error_response(503, "redis_unavailable",
                            "cannot publish placement: " + pub.err().message);
    }
  } catch (const std::exception& e) {
    return fail(500, "internal", std::string("unexpected: ") + e.what());
  }
  gate_.unhide(slug);  // still held until unsettled is cleared: no registrar sync drops the claim
  gate_.set_unsettled(slug, false);
  in->state = incoming::phase::active;
  remove_quietly(marker);
  remove_quietly(in->archive);
  app_.tenant_arrived(slug);
  log_event("info", "tenant arrived", {{"tenant", slug}, {"from", str("from")}});
  return json_response(200, json::object{{"tenant", slug}, {"node", cfg_.node_id}});
}

http_response tenant_mover::abort(const std::string& move_id, const http_request& req) {
  auto in = find_incoming(move_id);
  if (!in) {
    // Unknown here (e.g. this node restarted): it holds nothing of the move unless it serves the
    // tenant the source names (then the move went through before the restart).
    json::error_code jec;
    const auto v = json::parse(req.body, jec);
    const auto* o = !jec && v.is_object() ? &v.as_object() : nullptr;
    const auto* s = o ? o->if_contains("slug") : nullptr;
    if (s && s->is_string() && valid_slug(s->as_string())) {
      const std::string slug(s->as_string());
      if (app_.directory().registry().get_tenant(slug) && !gate_.unregistered(slug))
        return error_response(409, "already_active", "this node serves the tenant");
    }
    return json_response(200, json::object{{"aborted", true}});
  }
  {
    std::lock_guard lock(in->mu);  // waits for a running activation
    if (in->state == incoming::phase::unsettled) {
      // The claim's outcome was unknown: placement tells now. Naming this node, the tenant
      // arrived (served from now on); otherwise the copy is discarded with its partnerships.
      const std::string slug = in->slug;
      auto owner = redis_hget(cluster::placement_key, slug);
      if (!owner) return error_response(503, "redis_unavailable", "cannot read placement");
      const fs::path marker = cfg_.data_dir / "arriving" / slug;
      if (*owner && **owner == cfg_.node_id) {
        gate_.unhide(slug);
        gate_.set_unsettled(slug, false);
        in->state = incoming::phase::active;
        remove_quietly(marker);
        app_.tenant_arrived(slug);
        log_event("info", "tenant arrived (settled late)", {{"tenant", slug}});
      } else {
        auto& reg = app_.directory().registry();
        if (auto d = reg.delete_tenant_keeping_partners(slug, in->restore); !d)
          return error_response(503, "registry_busy",
                                "cannot discard the copy: " + d.err().message);
        (void)app_.directory().refresh();
        gate_.set_unsettled(slug, false);
        gate_.unhide(slug);
        remove_quietly(marker);
        in->state = incoming::phase::aborted;
        if (publish_) (void)publish_(nullptr, nullptr);
        log_event("info", "tenant move: unsettled arrival discarded", {{"tenant", slug}});
      }
    }
    if (in->state == incoming::phase::active)
      return error_response(409, "already_active", "the move was activated");
    in->state = incoming::phase::aborted;
    remove_quietly(in->archive);
  }
  drop_incoming(move_id);
  return json_response(200, json::object{{"aborted", true}});
}

// ---- app hooks (declared in app.hpp) ----------------------------------------------------------

void app::tenant_arrived(std::string_view slug) {
  sharing_->wake(slug);  // its outbox may hold deliveries queued before the move
}

result<std::shared_ptr<tenant::store>> app::background_store(const provisioning::tenant_info& t) {
  if (!cfg_.background_enter) return pool_.get(t.slug, t.id);
  if (!cfg_.background_enter(t.slug))
    return error(errc::unavailable, "tenant_moving", "tenant " + t.slug + " is moving");
  auto s = pool_.get(t.slug, t.id);
  if (!s) {
    cfg_.background_leave(t.slug);
    return s.err();
  }
  // The same store, whose last copy of this handle tells the gate the work is done.
  auto leave = cfg_.background_leave;
  std::shared_ptr<tenant::store> real = std::move(s.value());
  tenant::store* raw = real.get();
  return std::shared_ptr<tenant::store>(
      raw, [real = std::move(real), leave, slug = t.slug](tenant::store*) mutable {
        real.reset();
        leave(slug);
      });
}

}  // namespace samverka::gateway
