// samverka-social-seed — the social feed benchmark's tenant (bench/social):
//
//   samverka-social-seed --data-dir DIR [--slug S] [--groups 300] [--items 200000]
//
// One tenant with 30 units (30 department groups) and open groups up to --groups in all, 40
// authors who belong to every group, and --items posts and comments (one in three a comment on a
// recent post of the same group) spread over the last year. member@DOMAIN (password
// Samverka-2026) is a member of exactly 15 groups: the department groups of their unit and its
// parent, and 13 open groups. Everything goes through tenant::store, the same API the server uses.
// Deterministic: a fixed random seed.
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "samverka/core/clock.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/pool.hpp"
#include "samverka/tenant/store.hpp"

namespace {

using namespace samverka;

constexpr const char* password = "Samverka-2026";
constexpr std::int64_t year_ms = 365LL * 24 * 3600 * 1000;
constexpr int unit_count = 30;    // 15 departments with one sub-unit each
constexpr int author_count = 40;  // people who write everything
constexpr int member_open_groups = 13;

template <class T>
T must(result<T> r, std::string_view what) {
  if (!r) {
    fmt::print(stderr, "samverka-social-seed: {}: {}\n", what, r.err().message);
    std::exit(1);
  }
  return std::move(r).value();
}
void must(result<void> r, std::string_view what) {
  if (!r) {
    fmt::print(stderr, "samverka-social-seed: {}: {}\n", what, r.err().message);
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"seed the social feed benchmark tenant"};
  std::string data_dir, slug = "socialbench";
  int groups = 300, items = 200'000;
  app.add_option("--data-dir", data_dir)->required();
  app.add_option("--slug", slug);
  app.add_option("--groups", groups);
  app.add_option("--items", items);
  CLI11_PARSE(app, argc, argv);
  const std::string domain = slug + ".se";

  auto reg = must(provisioning::registry::open(data_dir), "registry");
  auto info = must(reg->create_tenant(slug, "Socialbänk kommun", {domain}), "create tenant");
  tenant::pool pool(data_dir);
  auto st = must(pool.get(slug, info.id), "open store");

  std::vector<std::string> units;
  for (int i = 0; i < unit_count / 2; ++i) {
    auto dept = fmt::format("Förvaltning {}", i + 1);
    must(st->add_unit(dept, std::nullopt), "unit");
    auto sub = fmt::format("Enhet {}", i + 1);
    must(st->add_unit(sub, dept), "unit");
    units.push_back(dept);
    units.push_back(sub);
  }
  std::vector<tenant::viewer> authors;
  for (int i = 0; i < author_count; ++i) {
    tenant::new_user u;
    u.email = fmt::format("skribent{}@{}", i + 1, domain);
    u.name = fmt::format("Skribent {}", i + 1);
    u.units = units;  // every department group
    auto added = must(st->add_user(u), "author");
    must(reg->add_membership(u.email, slug), "membership");
    authors.push_back(must(st->viewer_for(added.id), "viewer"));
  }
  tenant::new_user m;
  m.email = "member@" + domain;
  m.name = "Mätbar Medlem";
  m.units = {"Enhet 1"};  // + its parent "Förvaltning 1": two department groups
  m.password = password;
  auto member = must(st->add_user(m), "member");
  must(reg->add_membership(m.email, slug), "membership");
  auto member_v = must(st->viewer_for(member.id), "viewer");

  std::vector<std::int64_t> group_ids;
  for (auto& g : must(st->list_groups(authors[0]), "groups")) group_ids.push_back(g.id);
  for (int i = static_cast<int>(group_ids.size()); i < groups; ++i) {
    tenant::group_draft d;
    d.name = fmt::format("Grupp {}", i + 1);
    d.kind = tenant::group_kind::open;
    auto g =
        must(st->create_group(authors[static_cast<std::size_t>(i) % authors.size()], d), "group");
    for (auto& a : authors)
      if (a.user_id != authors[static_cast<std::size_t>(i) % authors.size()].user_id)
        must(st->join_group(a, g.id), "join");
    group_ids.push_back(g.id);
    if (i - unit_count < member_open_groups) must(st->join_group(member_v, g.id), "member join");
  }

  std::mt19937 rng(20261122);
  const auto now = now_ms();
  const auto start = now - year_ms;
  const auto step = year_ms / std::max(1, items);
  std::vector<std::vector<std::int64_t>> recent(group_ids.size());  // recent posts per group
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < items; ++i) {
    const auto gi = rng() % group_ids.size();
    const auto& author = authors[rng() % authors.size()];
    tenant::post_draft d;
    d.created_at_ms = start + step * i;
    auto& r = recent[gi];
    if (!r.empty() && rng() % 3 == 0) {
      d.body = fmt::format("<p>Kommentar {} – håller med, vi tar det på nästa möte.</p>", i);
      must(st->create_comment(author, r[rng() % r.size()], d), "comment");
    } else {
      d.body = fmt::format(
          "<p>Inlägg {}: uppdatering från arbetsgruppen om <b>schemaläggning</b>, lokaler och "
          "nästa steg. Synpunkter välkomna.</p>",
          i);
      auto p = must(st->create_post(author, group_ids[gi], d), "post");
      r.push_back(p.id);
      if (r.size() > 5) r.erase(r.begin());
    }
    if ((i + 1) % 20000 == 0)
      fmt::print(stderr, "{} items, {:.0f} s\n", i + 1,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  fmt::print("member@{} {}\n", domain, password);
  return 0;
}
