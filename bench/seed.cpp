// samverka-seed — fills a data dir with realistic municipalities.
//
//   samverka-seed demo  --data-dir DIR   Eksjö, Sävsjö and Vetlanda (partners) and a
//                                        Jönköping-like tenant, people in every role and a few
//                                        weeks of Swedish news targeted in different ways.
//   samverka-seed scale --data-dir DIR --slug S --people N --units U --news M
//                       [--pages P --documents D]
//                                        one large tenant for benchmarks (bench/run).
//   samverka-seed many  --data-dir DIR --tenants N
//                                        N small tenants (memory benchmark).
//
// Deterministic: the same arguments give the same content (fixed random seed).
#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <array>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "samverka/core/clock.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/pool.hpp"
#include "samverka/tenant/store.hpp"

namespace {

using namespace samverka;
namespace fs = std::filesystem;

// Every demo login uses this password; printed in the table at the end.
constexpr const char* demo_password = "Samverka-2026";
constexpr std::int64_t day_ms = 24LL * 3600 * 1000;
// Demo news spreads over this many days back from now.
constexpr int demo_news_days = 28;

template <class T>
T must(result<T> r, std::string_view what) {
  if (!r) {
    fmt::print(stderr, "samverka-seed: {}: {}\n", what, r.err().message);
    std::exit(1);
  }
  return std::move(r).value();
}
void must(result<void> r, std::string_view what) {
  if (!r) {
    fmt::print(stderr, "samverka-seed: {}: {}\n", what, r.err().message);
    std::exit(1);
  }
}

struct department {
  const char* name;
  std::vector<const char*> units;
};

const std::vector<department> town_departments = {
    {"Kommunledningsförvaltningen", {"HR-avdelningen", "Ekonomiavdelningen", "Kommunikation"}},
    {"Socialförvaltningen", {"Hemtjänst", "Särskilt boende", "Individ- och familjeomsorg"}},
    {"Utbildningsförvaltningen", {"Förskola", "Grundskola", "Gymnasieskola"}},
    {"Samhällsbyggnadsförvaltningen", {"Gata och park", "Bygglov", "Vatten och avlopp"}},
    {"Kultur- och fritidsförvaltningen", {"Bibliotek", "Fritidsgårdar"}},
};

struct news_template {
  const char* title;
  const char* summary;
  const char* body;
  const char* unit;  // nullptr: whole tenant
  const char* role;  // nullptr: every role
};

const std::vector<news_template> demo_news = {
    {"Ny lönerevision klar", "Den nya lönen betalas ut i december.",
     "<p>Lönerevisionen för året är klar. Den nya lönen och retroaktiv ersättning betalas ut den "
     "25 december.</p><p>Frågor besvaras av din <strong>närmaste chef</strong>.</p>",
     nullptr, nullptr},
    {"Chefsdag om arbetsmiljö", "Obligatorisk utbildning för alla chefer.",
     "<p>Alla chefer bjuds in till en halvdag om det systematiska arbetsmiljöarbetet.</p>"
     "<ul><li>Ansvar och delegering</li><li>Riskbedömningar</li><li>Tillbudsrapportering</li></ul>",
     nullptr, "manager"},
    {"Influensavaccinering för personal", "Personal inom vård och omsorg erbjuds vaccin.",
     "<p>Medarbetare inom vård och omsorg erbjuds kostnadsfri vaccinering mot säsongsinfluensa. "
     "Boka tid via hälsocentralen.</p>",
     "Socialförvaltningen", nullptr},
    {"Nya rutiner för nyckelhantering i hemtjänsten", "Digitala lås införs i alla områden.",
     "<p>Från och med nästa månad ersätts fysiska nycklar med digitala lås. Utbildning sker "
     "arbetsplatsvis.</p>",
     "Hemtjänst", nullptr},
    {"Studiedag för skolans personal", "Ingen undervisning på fredag.",
     "<p>Fredagen är studiedag för all personal inom grundskolan. Fritidshemmen har öppet.</p>",
     "Grundskola", nullptr},
    {"Budgetanvisningar för nästa år", "Anvisningarna finns nu på intranätet.",
     "<p>Kommunstyrelsen har fastställt budgetanvisningarna. Förvaltningarna lämnar sina förslag "
     "senast den 15 mars.</p>",
     nullptr, "manager"},
    {"Snöröjningen planeras om", "Nya prioriteringar för gång- och cykelvägar.",
     "<p>Gång- och cykelvägar till skolor prioriteras före bilvägar i vinter.</p>",
     "Samhällsbyggnadsförvaltningen", nullptr},
    {"Biblioteket förlänger öppettiderna", "Öppet till 20.00 på torsdagar.",
     "<p>Från och med januari har huvudbiblioteket öppet till 20.00 på torsdagar.</p>",
     "Kultur- och fritidsförvaltningen", nullptr},
    {"Välkommen till julfika", "Kommunhuset bjuder på glögg och pepparkakor.",
     "<p>Alla medarbetare är välkomna till julfika i kommunhusets foajé.</p>", nullptr, nullptr},
    {"Nytt ärendehanteringssystem", "Utbildning för handläggare startar i februari.",
     "<p>Det nya ärendehanteringssystemet tas i drift i april. Anmäl dig till utbildning via "
     "HR-avdelningen.</p>",
     "Kommunledningsförvaltningen", nullptr},
    {"Så hanterar du personuppgifter enligt GDPR", "Påminnelse om rutiner för dataskydd.",
     "<p>Skicka aldrig personuppgifter i okrypterad e-post. Läs rutinen på sidan om "
     "informationssäkerhet.</p>",
     nullptr, nullptr},
    {"Rekryteringsstopp för administrativa tjänster", "Gäller till och med juni.",
     "<p>Kommunledningen har beslutat om rekryteringsstopp för administrativa tjänster. Undantag "
     "prövas av förvaltningschef.</p>",
     nullptr, "manager"},
    {"Nya förskolan i centrum invigs", "Plats för 120 barn.",
     "<p>Den nya förskolan invigs med öppet hus för personal och vårdnadshavare.</p>", "Förskola",
     nullptr},
    {"Friskvårdsbidraget höjs", "Nu 3 000 kronor per år.",
     "<p>Friskvårdsbidraget höjs till 3 000 kronor per år från och med januari.</p>", nullptr,
     nullptr},
    {"Medarbetarenkäten är öppen", "Svara senast den 30 november.",
     "<p>Din röst är viktig. Enkäten tar cirka 15 minuter och är anonym.</p>", nullptr, nullptr},
    {"Vattenläcka på Storgatan åtgärdad", "Trafiken är tillbaka som vanligt.",
     "<p>Vatten och avlopp har lagat läckan. Tack för ert tålamod.</p>", "Vatten och avlopp",
     nullptr},
};

struct login_row {
  std::string tenant, email, role, note;
};

struct seeded_tenant {
  std::string slug;
  std::shared_ptr<tenant::store> store;
};

seeded_tenant create_town(provisioning::registry& reg, tenant::pool& pool, const std::string& slug,
                          const std::string& name, const std::string& domain,
                          std::vector<login_row>& logins) {
  auto info = must(reg.create_tenant(slug, name, {domain}), "create " + slug);
  auto st = must(pool.get(slug, info.id), "open " + slug);
  for (auto& d : town_departments) {
    must(st->add_unit(d.name, std::nullopt), "unit");
    for (auto* u : d.units) must(st->add_unit(u, d.name), "unit");
  }
  struct person {
    const char* local;
    const char* name;
    tenant::role_mask roles;
    const char* unit;
    const char* label;
  };
  using tenant::bit;
  using tenant::role;
  const person people[] = {
      {"admin", "Agnes Admin",
       static_cast<tenant::role_mask>(bit(role::employee) | bit(role::admin)),
       "Kommunledningsförvaltningen", "admin"},
      {"redaktor", "Rut Redaktör",
       static_cast<tenant::role_mask>(bit(role::employee) | bit(role::editor)), "Kommunikation",
       "editor"},
      {"chef", "Carl Chef",
       static_cast<tenant::role_mask>(bit(role::employee) | bit(role::manager)), "Hemtjänst",
       "manager (Hemtjänst)"},
      {"anna", "Anna Andersson", bit(role::employee), "Hemtjänst", "employee (Hemtjänst)"},
      {"lars", "Lars Lärare", bit(role::employee), "Grundskola", "employee (Grundskola)"},
  };
  for (auto& p : people) {
    tenant::new_user u;
    u.email = std::string(p.local) + "@" + domain;
    u.name = p.name;
    u.roles = p.roles;
    u.units = {p.unit};
    u.password = demo_password;
    must(st->add_user(u), "user");
    must(reg.add_membership(u.email, slug), "membership");
    logins.push_back({slug, u.email, p.label, ""});
  }
  return {slug, st};
}

// Publishes the demo news over the last weeks, each template once, in time order.
void publish_demo_news(tenant::store& st, const std::string& domain, std::mt19937& rng) {
  auto author = must(st.find_user("redaktor@" + domain), "editor");
  auto editor = must(st.viewer_for(author.id), "editor viewer");
  std::int64_t now = now_ms();
  std::uniform_int_distribution<std::int64_t> jitter(0, day_ms / 2);
  int n = static_cast<int>(demo_news.size());
  for (int i = 0; i < n; ++i) {
    auto& t = demo_news[static_cast<std::size_t>(i)];
    tenant::news_draft d;
    d.title = t.title;
    d.summary = t.summary;
    d.body = t.body;
    if (t.unit) d.target.units = {t.unit};
    if (t.role) d.target.roles = {t.role};
    d.published_at_ms = now - (n - i) * (demo_news_days * day_ms / n) + jitter(rng) - day_ms;
    must(st.create_news(editor, d), "news");
  }
}

const std::array<const char*, 20> first_names = {
    "Anna", "Erik",   "Maria", "Lars", "Karin",  "Anders", "Eva",    "Johan", "Sara", "Per",
    "Lena", "Mikael", "Emma",  "Olof", "Ingrid", "Ali",    "Fatima", "Nils",  "Elin", "Hassan"};
const std::array<const char*, 20> last_names = {
    "Johansson", "Andersson", "Karlsson",   "Nilsson",    "Eriksson", "Larsson", "Olsson",
    "Persson",   "Svensson",  "Gustafsson", "Pettersson", "Jonsson",  "Jansson", "Hansson",
    "Bengtsson", "Jönsson",   "Lindberg",   "Öberg",      "Åström",   "Mohammed"};
const std::array<const char*, 8> large_departments = {"Stadskontoret",
                                                      "Socialförvaltningen",
                                                      "Äldreomsorgsförvaltningen",
                                                      "Utbildningsförvaltningen",
                                                      "Barn- och utbildningsförvaltningen",
                                                      "Tekniska kontoret",
                                                      "Stadsbyggnadskontoret",
                                                      "Kultur- och fritidsförvaltningen"};
const std::array<const char*, 10> unit_kinds = {"Hemtjänst", "Förskola",   "Skola", "Boende",
                                                "Enhet",     "Verksamhet", "Team",  "Område",
                                                "Avdelning", "Sektion"};

struct scale_options {
  std::string slug = "jonkoping";
  std::string name = "Jönköpings kommun";
  std::string domain = "jonkoping.se";
  int people = 11'000;
  int units = 300;
  int news = 50'000;
  int with_password = 20;  // argon2 is slow on purpose: only these people get local passwords
  int pages = 0;           // content feature: pages with owners (bench/content)
  int documents = 0;       // content feature: small text documents (bench/content)
};

// Content feature: pages and documents for the search benchmark (bench/content/run).
const std::array<const char*, 10> content_topics = {
    "Tjänsteresor och reseräkningar", "Inköp och upphandling",  "Semester och ledighet",
    "Arbetsmiljö och säkerhet",       "Lön och förmåner",       "IT-stöd och behörigheter",
    "Budget och uppföljning",         "Kommunikation och webb", "Förvaltningens riktlinjer",
    "Dokumenthantering och arkiv"};

void seed_content(tenant::store& st, const tenant::viewer& editor, const scale_options& o) {
  std::vector<std::int64_t> roots;
  for (int i = 0; i < o.pages; ++i) {
    tenant::page_draft d;
    auto topic = content_topics[static_cast<std::size_t>(i) % content_topics.size()];
    d.title = fmt::format("{} – sida {}", topic, i + 1);
    d.body = fmt::format(
        "<p>Här beskriver förvaltningen hur {} fungerar i kommunen. Kontakta din chef eller "
        "enhetens administratör vid frågor. Rutinen uppdaterades år {}.</p>",
        topic, 2015 + i % 11);
    if (!roots.empty() && i >= 100) d.parent_id = roots[static_cast<std::size_t>(i) % roots.size()];
    auto p = must(st.create_page(editor, d), "page");
    if (i < 100) roots.push_back(p.id);
  }
  const auto spool = st.dir() / "files" / ".uploads";
  fs::create_directories(spool);
  for (int i = 0; i < o.documents; ++i) {
    auto topic = content_topics[static_cast<std::size_t>(i * 3) % content_topics.size()];
    const auto path = spool / fmt::format("seed-{}.txt", i);
    {
      std::ofstream out(path, std::ios::binary);
      out << fmt::format("{}\nBilaga {} till förvaltningens rutiner. Diarienummer KS {}/{}.\n",
                         topic, i + 1, 2020 + i % 6, 100 + i);
    }
    tenant::document_upload up{fmt::format("bilaga-{}.txt", i + 1), "text/plain", path};
    must(st.create_document(editor, fmt::format("{} – bilaga {}", topic, i + 1), up), "document");
  }
}

// One large municipality: 8 departments, units spread under them (two levels), people spread
// over units, news with mixed audiences over the last year.
void seed_scale(provisioning::registry& reg, tenant::pool& pool, const scale_options& o,
                std::vector<login_row>& logins) {
  std::mt19937 rng(20261122);
  auto info = must(reg.create_tenant(o.slug, o.name, {o.domain}), "create " + o.slug);
  auto st = must(pool.get(o.slug, info.id), "open");
  std::vector<std::string> units;
  for (auto* d : large_departments) {
    must(st->add_unit(d, std::nullopt), "department");
    units.emplace_back(d);
  }
  // Second level: sections under departments; third level: units under sections.
  std::vector<std::string> sections;
  int remaining = std::max(0, o.units - static_cast<int>(units.size()));
  int section_count = std::max(1, remaining / 6);
  for (int i = 0; i < section_count && remaining > 0; ++i, --remaining) {
    std::string name = fmt::format(
        "{} {}", unit_kinds[static_cast<std::size_t>(i) % unit_kinds.size()],
        fmt::format("{}-sektion {}", large_departments[static_cast<std::size_t>(i) % 8], i + 1));
    must(st->add_unit(name, std::string(large_departments[static_cast<std::size_t>(i) % 8])),
         "section");
    sections.push_back(name);
    units.push_back(name);
  }
  for (int i = 0; remaining > 0; ++i, --remaining) {
    std::string parent = sections[static_cast<std::size_t>(i) % sections.size()];
    std::string name = fmt::format(
        "{} {}", unit_kinds[static_cast<std::size_t>(i * 7) % unit_kinds.size()], i + 1);
    must(st->add_unit(name, parent), "unit");
    units.push_back(name);
  }
  std::uniform_int_distribution<std::size_t> pick_unit(8, units.size() - 1);
  std::uniform_int_distribution<int> pct(0, 99);
  using tenant::bit;
  using tenant::role;
  for (int i = 0; i < o.people; ++i) {
    tenant::new_user u;
    auto fn = first_names[static_cast<std::size_t>(i) % first_names.size()];
    auto ln = last_names[static_cast<std::size_t>(i / 20) % last_names.size()];
    u.name = fmt::format("{} {}", fn, ln);
    u.email = fmt::format("person{}@{}", i + 1, o.domain);
    u.units = {units[pick_unit(rng)]};
    bool manager = i % 20 == 0;  // about 550 managers at 11,000 staff
    if (manager) {
      u.roles = static_cast<tenant::role_mask>(bit(role::employee) | bit(role::manager));
      u.units.push_back(units[pick_unit(rng)]);  // managers often lead two units
    }
    if (i == 1) u.roles = static_cast<tenant::role_mask>(bit(role::employee) | bit(role::editor));
    if (i == 2) u.roles = static_cast<tenant::role_mask>(bit(role::employee) | bit(role::admin));
    if (i < o.with_password) u.password = demo_password;
    must(st->add_user(u), "user");
    if (i < 3)
      logins.push_back({o.slug, u.email,
                        i == 0   ? "manager (two units)"
                        : i == 1 ? "editor"
                                 : "admin",
                        ""});
  }
  auto editor = must(st->viewer_for(std::string_view("person2@" + o.domain)), "editor");
  std::int64_t now = now_ms();
  std::int64_t span = 365 * day_ms;
  for (int i = 0; i < o.news; ++i) {
    auto& t = demo_news[static_cast<std::size_t>(i) % demo_news.size()];
    tenant::news_draft d;
    d.title = fmt::format("{} ({})", t.title, i + 1);
    d.summary = t.summary;
    d.body = t.body;
    int kind = pct(rng);
    if (kind < 30) {
      // whole municipality
    } else if (kind < 55) {
      d.target.units = {large_departments[static_cast<std::size_t>(i) % 8]};
    } else if (kind < 90) {
      d.target.units = {units[pick_unit(rng)]};
    } else {
      d.target.roles = {"manager"};
    }
    d.published_at_ms = now - span + span * i / std::max(1, o.news);
    must(st->create_news(editor, d), "news");
  }
  seed_content(*st, editor, o);
}

void print_logins(const std::vector<login_row>& logins) {
  fmt::print("\n{:<12} {:<28} {}\n", "KOMMUN", "E-POST", "ROLL");
  for (auto& l : logins) fmt::print("{:<12} {:<28} {}\n", l.tenant, l.email, l.role);
  fmt::print("\nLösenord för alla: {}\n", demo_password);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"samverka-seed: demo and benchmark content"};
  app.require_subcommand(1);
  fs::path data_dir = "data";
  app.add_option("--data-dir", data_dir, "Data directory");
  auto* demo = app.add_subcommand("demo", "Eksjö, Sävsjö, Vetlanda (partners) and Jönköping");
  int demo_people = 2'000;
  demo->add_option("--people", demo_people, "People in the Jönköping-like tenant")
      ->capture_default_str();
  scale_options so;
  auto* scale = app.add_subcommand("scale", "One large tenant for benchmarks");
  scale->add_option("--slug", so.slug)->capture_default_str();
  scale->add_option("--domain", so.domain, "E-mail domain of its people")->capture_default_str();
  scale->add_option("--people", so.people)->capture_default_str();
  scale->add_option("--units", so.units)->capture_default_str();
  scale->add_option("--news", so.news)->capture_default_str();
  scale->add_option("--pages", so.pages, "Pages (content feature)")->capture_default_str();
  scale->add_option("--documents", so.documents, "Documents (content feature)")
      ->capture_default_str();
  int many_count = 1000;
  auto* many = app.add_subcommand("many", "Many small tenants");
  many->add_option("--tenants", many_count)->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto reg = must(provisioning::registry::open(data_dir), "registry");
  tenant::pool pool(data_dir);
  std::vector<login_row> logins;
  if (*demo) {
    std::mt19937 rng(7);
    auto eksjo = create_town(*reg, pool, "eksjo", "Eksjö kommun", "eksjo.se", logins);
    auto savsjo = create_town(*reg, pool, "savsjo", "Sävsjö kommun", "savsjo.se", logins);
    auto vetlanda = create_town(*reg, pool, "vetlanda", "Vetlanda kommun", "vetlanda.se", logins);
    for (auto* t : {&eksjo, &savsjo, &vetlanda}) publish_demo_news(*t->store, t->slug + ".se", rng);
    must(reg->link("eksjo", "savsjo"), "partner");
    must(reg->link("eksjo", "vetlanda"), "partner");
    must(reg->link("savsjo", "vetlanda"), "partner");
    // A shared service function: employed by Eksjö, working for Sävsjö and Vetlanda too.
    for (auto* t : {&savsjo, &vetlanda}) {
      tenant::new_user u;
      u.email = "it.samordnare@eksjo.se";
      u.name = "Ingela IT-samordnare";
      u.roles = static_cast<tenant::role_mask>(tenant::bit(tenant::role::employee) |
                                               tenant::bit(tenant::role::editor));
      u.units = {"Kommunikation"};
      must(t->store->add_user(u), "member");
      must(reg->add_membership(u.email, t->slug), "membership");
    }
    {
      tenant::new_user u;
      u.email = "it.samordnare@eksjo.se";
      u.name = "Ingela IT-samordnare";
      u.units = {"Ekonomiavdelningen"};
      u.password = demo_password;
      must(eksjo.store->add_user(u), "user");
      must(reg->add_membership(u.email, "eksjo"), "membership");
      logins.push_back({"eksjo", u.email, "employee; editor in savsjo and vetlanda", ""});
    }
    scale_options jk;
    jk.people = demo_people;
    jk.news = 3'000;
    jk.units = 120;
    seed_scale(*reg, pool, jk, logins);
    print_logins(logins);
  } else if (*scale) {
    seed_scale(*reg, pool, so, logins);
    print_logins(logins);
  } else if (*many) {
    for (int i = 0; i < many_count; ++i) {
      auto slug = fmt::format("kommun{:04}", i + 1);
      auto info = must(reg->create_tenant(slug, fmt::format("Kommun {}", i + 1), {}), "create");
      auto st = must(pool.get(slug, info.id), "open");
      must(st->add_unit("Kommunledningen", std::nullopt), "unit");
      tenant::new_user u;
      u.email = fmt::format("redaktor@{}.example.se", slug);
      u.name = "Redaktör";
      u.roles = static_cast<tenant::role_mask>(tenant::bit(tenant::role::employee) |
                                               tenant::bit(tenant::role::editor));
      u.password = demo_password;
      auto user = must(st->add_user(u), "user");
      auto v = must(st->viewer_for(user.id), "viewer");
      for (int n = 0; n < 5; ++n) {
        tenant::news_draft d;
        d.title = fmt::format("Nyhet {}", n + 1);
        d.body = "<p>Kort nyhet.</p>";
        must(st->create_news(v, d), "news");
      }
    }
    fmt::print("{} tenants created; log in as redaktor@SLUG.example.se / {}\n", many_count,
               demo_password);
  }
  return 0;
}
