#include "samverka/cluster/placement.hpp"

#include <vector>

namespace samverka::cluster {

namespace {

// Deletes a placement entry only while it still names this node: a tenant that moved to another
// node must not lose its new entry when the old node lets go.
constexpr std::string_view release_script =
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then "
    "return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

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

node_registration::node_registration(redis_client& redis, std::string node_id,
                                     std::string advertise_url)
    : redis_(redis), id_(std::move(node_id)), url_(std::move(advertise_url)) {}

result<void> node_registration::write_all(const std::set<std::string>& slugs) {
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"MULTI"});
  cmds.push_back({"HSET", std::string(nodes_key), id_, url_});
  if (!slugs.empty()) {
    std::vector<std::string> hset{"HSET", std::string(placement_key)};
    for (const auto& s : slugs) {
      hset.push_back(s);
      hset.push_back(id_);
    }
    cmds.push_back(std::move(hset));
  }
  cmds.push_back({"EXEC"});
  cmds.push_back({"HGETALL", std::string(placement_key)});
  auto r = redis_.pipeline(cmds);
  if (!r) return r.err();
  // Entries still naming us for tenants we no longer hold (deleted while this node was down).
  for (const auto& [slug, owner] : hash_pairs(r->back()))
    if (owner == id_ && !slugs.contains(slug))
      if (auto d = redis_.command(
              {"EVAL", std::string(release_script), "1", std::string(placement_key), slug, id_});
          !d)
        return d.err();
  written_ = slugs;
  return {};
}

result<void> node_registration::sync(const std::set<std::string>& slugs) {
  const auto fail = [this](const error& e) -> result<void> {
    complete_ = false;
    return e;
  };
  bool changed = false;
  auto mine = redis_.command({"HGET", std::string(nodes_key), id_});
  if (!mine) return fail(mine.err());
  // A missing or different entry: Redis lost our registration (restart, flush) or another
  // process took our id; a new connection: writes may have been lost with the old one.
  if (!complete_ || mine->str != url_ || redis_.connects() != connects_seen_) {
    connects_seen_ = redis_.connects();
    if (auto w = write_all(slugs); !w) return fail(w.err());
    changed = true;
  } else if (slugs != written_) {
    std::vector<std::string> hset{"HSET", std::string(placement_key)};
    for (const auto& s : slugs)
      if (!written_.contains(s)) {
        hset.push_back(s);
        hset.push_back(id_);
      }
    if (hset.size() > 2)
      if (auto r = redis_.command(hset); !r) return fail(r.err());
    for (const auto& s : written_)
      if (!slugs.contains(s))
        if (auto r = redis_.command(
                {"EVAL", std::string(release_script), "1", std::string(placement_key), s, id_});
            !r)
          return fail(r.err());
    written_ = slugs;
    changed = true;
  }
  complete_ = true;
  if (changed)
    if (auto p = redis_.command({"PUBLISH", std::string(placement_channel), id_}); !p)
      return fail(p.err());
  return {};
}

result<void> placement_cache::refresh() {
  auto r = redis_.pipeline(
      {{"HGETALL", std::string(nodes_key)}, {"HGETALL", std::string(placement_key)}});
  if (!r) return r.err();
  auto next = std::make_shared<table>();
  next->url = hash_pairs((*r)[0]);
  next->owner = hash_pairs((*r)[1]);
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
  }
  table_ = std::move(next);
  return {};
}

std::optional<std::string> placement_cache::node_url(std::string_view slug) const {
  std::shared_ptr<const table> t;
  {
    std::lock_guard lock(mu_);
    t = table_;
  }
  if (!t) return std::nullopt;
  auto o = t->owner.find(slug);
  if (o == t->owner.end()) return std::nullopt;
  auto u = t->url.find(o->second);
  if (u == t->url.end()) return std::nullopt;
  return u->second;
}

bool placement_cache::loaded() const {
  std::lock_guard lock(mu_);
  return table_ != nullptr;
}

}  // namespace samverka::cluster
