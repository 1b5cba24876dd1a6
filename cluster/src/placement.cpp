#include "samverka/cluster/placement.hpp"

#include <vector>

namespace samverka::cluster {

namespace {

// Deletes a placement entry only while it still names this node: a tenant that moved to another
// node must not lose its new entry when the old node lets go.
constexpr std::string_view release_script =
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
    "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

// A move's commit: placement names this node only if the move's fence still holds its id,
// which it consumes. Claiming again a tenant placement already gives this node is a no-op
// success (a publication repeated after a lost answer).
// KEYS: placement, fence; ARGV: slug, move id, node id.
constexpr std::string_view claim_script =
    "if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) "
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end "
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[3] then return 1 end return 0";

// The source giving up a move: 1 if it consumed the fence (still its move's id), 2 if placement
// names the target (the target consumed it), 0 otherwise.
// KEYS: placement, fence; ARGV: slug, move id, target node id.
constexpr std::string_view settle_script =
    "if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) return 1 end "
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[3] then return 2 end return 0";

std::map<std::string, std::string, std::less<>> hash_pairs(const reply& r) {
  std::map<std::string, std::string, std::less<>> out;
  for (std::size_t i = 0; i + 1 < r.elements.size(); i += 2)
    out.emplace(r.elements[i].str, r.elements[i + 1].str);
  return out;
}

}  // namespace

bool valid_node_id(std::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
    if (!ok) return false;
  }
  return true;
}

std::string move_fence_key(std::string_view slug) {
  return "samverka:move:" + std::string(slug);
}

result<fence_outcome> settle_move_fence(redis_client& redis, std::string_view slug,
                                        std::string_view move_id, std::string_view target) {
  auto r = redis.command({"EVAL", std::string(settle_script), "2", std::string(placement_key),
                          move_fence_key(slug), std::string(slug), std::string(move_id),
                          std::string(target)});
  if (!r) return r.err();
  if (r->integer == 1) return fence_outcome::aborted;
  if (r->integer == 2) return fence_outcome::committed;
  return fence_outcome::unknown;
}

node_registration::node_registration(redis_client& redis, std::string node_id,
                                     std::string advertise_url)
    : redis_(redis), id_(std::move(node_id)), url_(std::move(advertise_url)) {}

result<void> node_registration::release_stale(
    const node_facts& facts, const std::map<std::string, std::string, std::less<>>& placement,
    const std::map<std::string, std::string, std::less<>>& domains) {
  for (const auto& [slug, owner] : placement)
    if (owner == id_ && !facts.slugs.contains(slug) && !facts.held.contains(slug))
      if (auto d = redis_.command(
              {"EVAL", std::string(release_script), "1", std::string(placement_key), slug, id_});
          !d)
        return d.err();
  // A domain entry is ours while it names one of our tenants (or one we had).
  for (const auto& [domain, slug] : domains) {
    if (facts.held.contains(slug)) continue;
    auto placed = placement.find(slug);
    // A tenant another node owns now (it moved there) keeps its domains: they are that node's.
    const bool elsewhere = placed != placement.end() && placed->second != id_;
    const bool ours = !elsewhere && (facts.slugs.contains(slug) || written_.slugs.contains(slug) ||
                                     (placed != placement.end() && placed->second == id_));
    auto now = facts.domains.find(domain);
    if (ours && (now == facts.domains.end() || now->second != slug))
      if (auto d = redis_.command(
              {"EVAL", std::string(release_script), "1", std::string(domains_key), domain, slug});
          !d)
        return d.err();
  }
  return {};
}

result<void> node_registration::write_all(const node_facts& facts) {
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"MULTI"});
  cmds.push_back({"HSET", std::string(nodes_key), id_, url_});
  std::vector<std::string> hset{"HSET", std::string(placement_key)};
  for (const auto& s : facts.slugs) {
    if (facts.handover.contains(s)) continue;
    hset.push_back(s);
    hset.push_back(id_);
  }
  if (hset.size() > 2) cmds.push_back(std::move(hset));
  // Commits of moves to this node: each claim consumes its move's fence (claim_script).
  std::vector<std::pair<std::size_t, std::string>> claims;  // (index in EXEC's reply, slug)
  for (const auto& [slug, move_id] : facts.handover) {
    if (!facts.slugs.contains(slug))
      return error(errc::internal, "handover_not_held",
                   "a move's claim of '" + slug + "' without the tenant among this node's");
    claims.emplace_back(cmds.size() - 1, slug);  // queued after MULTI: EXEC reply index
    cmds.push_back({"EVAL", std::string(claim_script), "2", std::string(placement_key),
                    move_fence_key(slug), slug, move_id, id_});
  }
  if (!facts.domains.empty()) {
    std::vector<std::string> hset{"HSET", std::string(domains_key)};
    for (const auto& [domain, slug] : facts.domains) {
      hset.push_back(domain);
      hset.push_back(slug);
    }
    cmds.push_back(std::move(hset));
  }
  cmds.push_back({"EXEC"});
  cmds.push_back({"HGETALL", std::string(placement_key)});
  cmds.push_back({"HGETALL", std::string(domains_key)});
  const std::size_t exec_at = cmds.size() - 3;
  auto r = redis_.pipeline(cmds);
  if (!r) return r.err();
  // Entries still naming us for tenants we no longer hold (deleted while this node was down).
  const auto& replies = r.value();
  for (const auto& [index, slug] : claims) {
    const auto& exec = replies[exec_at];
    if (exec.type != reply::kind::array || index >= exec.elements.size() ||
        exec.elements[index].integer != 1)
      return error(errc::conflict, "move_fenced",
                   "the move of '" + slug + "' was given up by its source; not claimed");
  }
  if (auto rel =
          release_stale(facts, hash_pairs(replies[replies.size() - 2]), hash_pairs(replies.back()));
      !rel)
    return rel.err();
  written_ = facts;
  return {};
}

result<void> node_registration::sync(const node_facts& facts) {
  const auto fail = [this](const error& e) -> result<void> {
    complete_ = false;
    return e;
  };
  auto mine = redis_.command({"HGET", std::string(nodes_key), id_});
  if (!mine) return fail(mine.err());
  // A missing or different entry: Redis lost our registration (restart, flush) or another
  // process took our id; a new connection: writes may have been lost with the old one. Any
  // change is written whole too: it is one round trip for a node's few hundred tenants.
  if (complete_ && mine->str == url_ && redis_.connects() == connects_seen_ && facts == written_)
    return {};
  connects_seen_ = redis_.connects();
  if (auto w = write_all(facts); !w) return fail(w.err());
  complete_ = true;
  if (auto p = redis_.command({"PUBLISH", std::string(placement_channel), id_}); !p)
    return fail(p.err());
  return {};
}

result<void> placement_cache::refresh() {
  auto r = redis_.pipeline({{"HGETALL", std::string(nodes_key)},
                            {"HGETALL", std::string(placement_key)},
                            {"HGETALL", std::string(domains_key)}});
  if (!r) return r.err();
  auto next = std::make_shared<table>();
  next->url = hash_pairs((*r)[0]);
  next->owner = hash_pairs((*r)[1]);
  next->domain = hash_pairs((*r)[2]);
  std::lock_guard lock(mu_);
  if (table_) {
    // Keep what a node that has not re-registered yet owned (see the header). Registered
    // means present in Redis now, not in the copy being built.
    const auto registered = next->url;
    for (const auto& [slug, node] : table_->owner)
      if (!registered.contains(node) && !next->owner.contains(slug)) {
        next->owner.emplace(slug, node);
        if (auto u = table_->url.find(node); u != table_->url.end())
          next->url.emplace(node, u->second);
      }
    // ... and the domains of the tenants kept that way.
    for (const auto& [domain, slug] : table_->domain)
      if (!next->domain.contains(domain))
        if (auto o = next->owner.find(slug);
            o != next->owner.end() && !registered.contains(o->second))
          next->domain.emplace(domain, slug);
  }
  table_ = std::move(next);
  return {};
}

std::shared_ptr<const placement_cache::table> placement_cache::current() const {
  std::lock_guard lock(mu_);
  return table_;
}

std::optional<std::string> placement_cache::owner(std::string_view slug) const {
  const auto t = current();
  if (!t) return std::nullopt;
  auto o = t->owner.find(slug);
  if (o == t->owner.end()) return std::nullopt;
  return o->second;
}

std::optional<std::string> placement_cache::node_url(std::string_view slug) const {
  const auto t = current();
  if (!t) return std::nullopt;
  auto o = t->owner.find(slug);
  if (o == t->owner.end()) return std::nullopt;
  auto u = t->url.find(o->second);
  if (u == t->url.end()) return std::nullopt;
  return u->second;
}

std::optional<std::string> placement_cache::domain_owner(std::string_view domain) const {
  const auto t = current();
  if (!t) return std::nullopt;
  auto d = t->domain.find(domain);
  if (d == t->domain.end()) return std::nullopt;
  return d->second;
}

bool placement_cache::loaded() const {
  std::lock_guard lock(mu_);
  return table_ != nullptr;
}

}  // namespace samverka::cluster
