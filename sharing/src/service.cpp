// The sharing service and its relay (see service.hpp for the delivery steps; the copy and outbox
// state machines are in tenant/src/sharing.cpp).
//
// Design notes:
//  1. Every cross-tenant step re-checks the registry: both tenants registered, partners, and the
//     receiver active. A suspended receiver is never written; its rows wait (failing,
//     "receiver_suspended") and are retried at once when the registry changes (resume).
//  2. The relay owns no durable state. backlog_ is a cache rebuilt at start from the outboxes,
//     which is why a restart after SIGKILL delivers everything.
//  3. Passes are serialised (deliver_mu_): two passes over one source could apply the same rows
//     twice, which is harmless (apply is idempotent), but would waste a receiver transaction.
//  4. Deliveries of one pass run one after another: ~1 ms per receiver transaction, so 50 partners
//     take tens of ms. Fanning out per receiver over a small thread pool is the road not taken
//     until one node serves hundreds of partners per item.
#include "samverka/sharing/service.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "samverka/core/clock.hpp"
#include "samverka/core/slug.hpp"

namespace samverka::sharing {

using provisioning::tenant_info;
using provisioning::tenant_state;

std::chrono::milliseconds backoff(std::int64_t attempts) noexcept {
  if (attempts < 1) attempts = 1;
  auto d = first_retry;
  for (std::int64_t i = 1; i < attempts && d < max_retry; ++i) d *= 2;
  return std::min(d, max_retry);
}

namespace {

error not_a_partner(std::string_view slug) {
  return error(errc::unprocessable, "not_a_partner",
               "\"" + std::string(slug) + "\" is not a partner municipality; nothing was changed");
}

// Copies the files a payload references from the source's store into the receiver's, by hash,
// before the receiver applies it (nothing is hot-linked; see tenant/src/content2.cpp).
result<void> carry_files(tenant::store& src, tenant::store& dst, const tenant::share_payload& p) {
  for (const auto& f : p.files) {
    auto from = src.shared_file_path(f);
    if (!from) return from.err();
    if (auto r = dst.receive_shared_file(*from, f); !r) return r.err();
  }
  return {};
}

// Partners of every tenant, from the registry's symmetric pairs.
result<std::map<std::string, std::set<std::string>>> partner_map(provisioning::registry& reg) {
  auto tenants = reg.list_tenants();
  if (!tenants) return tenants.err();
  auto pairs = reg.partnerships();
  if (!pairs) return pairs.err();
  auto remote = reg.remote_partners();
  if (!remote) return remote.err();
  std::map<std::string, std::set<std::string>> out;
  for (const auto& t : *tenants) out[t.slug];
  for (const auto& p : *pairs) {
    out[p.a].insert(p.b);
    out[p.b].insert(p.a);
  }
  for (const auto& r : *remote) out[r.local].insert(r.remote);  // cluster: the other node's half
  return out;
}

}  // namespace

namespace {

// The local news item a borrow made (after its apply).
result<tenant::news_item> borrowed_copy(tenant::store& borrower_store, const tenant::viewer& who,
                                        std::string_view from, std::int64_t news_id) {
  auto copy = borrower_store.sharing_copy_of(from, news_id);
  if (!copy) return copy.err();
  if (!*copy || !(*copy)->local_news_id)
    return error(errc::internal, "borrowed copy has no local news item");
  if ((*copy)->status != tenant::copy_status::accepted)
    return error(errc::conflict, "withdrawn", "the partner has withdrawn this item");
  auto item = borrower_store.get_news(who, *(*copy)->local_news_id);
  if (!item) return item.err();
  return std::move(*item);
}

// The combined state of a report once the receiver's copy is known.
void merge_copy(copy_report& r, tenant::shared_copy copy) {
  r.copy = std::move(copy);
  if (!r.copy->linked)
    r.state = "unlinked";
  else if (r.copy->status != tenant::copy_status::pending)
    r.state = std::string(tenant::to_string(r.copy->status));
  else if (r.delivery.state == "delivered")
    r.state = "delivered";
}

}  // namespace

service::service(std::shared_ptr<provisioning::registry> reg, store_opener open,
                 std::unique_ptr<delivery_queue> queue)
    : reg_(std::move(reg)), open_(std::move(open)), queue_(std::move(queue)) {}

service::~service() {
  stop();
}

void service::start() {
  if (relay_.joinable() || stopping_) return;  // stop() is final: the queue is closed
  // Test hook: SAMVERKA_SHARING_RELAY=off keeps committed changes in the outboxes undelivered,
  // which is how the functional tests stage "killed between commit and delivery".
  if (const char* v = std::getenv("SAMVERKA_SHARING_RELAY"); v && std::string_view(v) == "off")
    return;
  relay_ = std::thread([this] { run(); });
}

void service::stop() {
  stopping_ = true;
  queue_->close();
  if (relay_.joinable()) relay_.join();
}

void service::wake(std::string_view source_slug) {
  queue_->notify(source_slug);
}

result<std::shared_ptr<tenant::store>> service::open_active(std::string_view slug) {
  auto t = reg_->get_tenant(slug);
  if (!t) return t.err();
  if (t->state != tenant_state::active)
    return error(errc::suspended, "tenant_suspended", "tenant " + t->slug + " is suspended");
  return open_(*t);
}

void service::run() {
  // Start: every source may hold rows committed before a crash (design note 2). Cost: one store
  // open and one short transaction per tenant, once per server start.
  if (const auto v = reg_->data_version(); on_registry_change()) registry_version_ = v;
  if (auto tenants = reg_->list_tenants())
    for (const auto& t : *tenants) queue_->notify(t.slug);
  while (!stopping_) {
    auto slug = queue_->next(registry_poll);
    if (stopping_) break;
    // Only a pass that completed counts: a busy registry or store is tried again next poll.
    if (const auto v = reg_->data_version(); v != registry_version_ && on_registry_change())
      registry_version_ = v;
    if (slug) deliver(*slug, false);
  }
}

bool service::on_registry_change() {
  auto version = reg_->partnership_version();
  if (!version) return false;  // the registry is busy; the next poll tries again
  auto now = partner_map(*reg_);
  if (!now) return false;
  std::vector<std::string> backlog;
  {
    std::lock_guard lk(state_mu_);
    backlog.assign(backlog_.begin(), backlog_.end());
  }
  // Every tenant's store is brought in line with its partners now, not only the tenants whose
  // partners differ from the last poll's: a link and an unlink between two polls leave equal
  // snapshots, yet deliveries in between (which check the registry itself) made linked copies
  // and targets that must stop following. Cost: one short transaction per tenant, as at start.
  // Only when partnerships changed (not for every membership or state change), so a busy
  // directory sync does not open every store.
  if (*version != partnership_version_) {
    bool all_done = true;
    for (const auto& [slug, set] : *now) {
      auto s = open_active(slug);
      if (!s) continue;  // suspended: brought in line when it is resumed (a new pass)
      if (!(*s)->sharing_partners_changed(std::vector<std::string>(set.begin(), set.end())))
        all_done = false;
    }
    if (!all_done) return false;  // the next poll tries them all again
    partnership_version_ = *version;
  }
  // A resumed receiver or source: retry every waiting row now rather than at its backoff time.
  for (const auto& slug : backlog) deliver(slug, true);
  return true;
}

std::size_t service::deliver(std::string_view source_slug, bool all) {
  std::lock_guard pass(deliver_mu_);
  auto src_info = reg_->get_tenant(source_slug);
  if (!src_info) return 0;
  if (src_info->state != tenant_state::active) {
    std::lock_guard lk(state_mu_);
    backlog_.insert(std::string(source_slug));  // a suspended source delivers after resume
    return 0;
  }
  auto src = open_(*src_info);
  if (!src) return 0;
  auto tenants = reg_->list_tenants();
  auto partners = partner_map(*reg_);
  if (!tenants || !partners) return 0;
  std::map<std::string, const tenant_info*, std::less<>> by_slug;
  for (const auto& t : *tenants) by_slug[t.slug] = &t;
  const auto& mine = (*partners)[src_info->slug];

  std::size_t delivered = 0;
  std::set<std::string> gone;  // receivers that are no longer partners
  for (;;) {
    auto jobs = (*src)->due_outbox(now_ms(), all, delivery_batch);
    if (!jobs || jobs->empty()) break;
    for (const auto& job : *jobs) {
      auto fail = [&](const std::string& why) {
        const auto next = now_ms() + backoff(job.attempts + 1).count();
        (void)(*src)->outbox_failed(job.id, why, next);
      };
      auto it = by_slug.find(job.partner);
      if (!mine.contains(job.partner)) {
        gone.insert(job.partner);
        fail("not_a_partner: the partnership has ended");
        continue;
      }
      if (it == by_slug.end()) {  // a partner another node owns (design note 5 in service.hpp)
        // A pass over every queued row (after a registry change here) leaves rows in transit to
        // other nodes alone: nothing here changed for them, and re-sending would only add
        // duplicates to the stream. They go again when due.
        if (all) continue;
        if (!remote_) {
          fail("receiver_unreachable: " + job.partner + " is served by another node");
          continue;
        }
        remote_delivery d{job.partner,
                          job.id,
                          job.attempts,
                          {src_info->slug, src_info->name, job.via, job.payload}};
        if (auto sent = remote_->send(d); !sent) {
          fail(sent.err().code + ": " + sent.err().message);
          continue;
        }
        (void)(*src)->outbox_sent(job.id, now_ms() + remote_answer_timeout.count());
        continue;
      }
      if (it->second->state != tenant_state::active) {
        fail("receiver_suspended: " + job.partner + " is suspended; delivered after resume");
        continue;
      }
      auto dst = open_(*it->second);
      if (!dst) {
        fail(dst.err().code + ": " + dst.err().message);
        continue;
      }
      if (auto files = carry_files(**src, **dst, job.payload); !files) {
        fail(files.err().code + ": " + files.err().message);
        continue;
      }
      tenant::share_message m{src_info->slug, src_info->name, job.via, job.payload};
      auto applied = (*dst)->sharing_apply(m);
      if (!applied) {
        fail(applied.err().code + ": " + applied.err().message);
        continue;
      }
      if ((*src)->outbox_delivered(job.id)) ++delivered;
    }
    if (jobs->size() < delivery_batch) break;
    all = false;  // rows failed in this pass are not due again yet
  }
  // The partnership ended before the relay noticed the registry change: end it on both sides now.
  if (!gone.empty()) {
    (void)(*src)->sharing_partners_changed(std::vector<std::string>(mine.begin(), mine.end()));
    for (const auto& slug : gone) {
      auto it = by_slug.find(slug);
      if (it == by_slug.end() || it->second->state != tenant_state::active) continue;
      const auto& theirs = (*partners)[slug];
      if (auto dst = open_(*it->second))
        (void)(*dst)->sharing_partners_changed(
            std::vector<std::string>(theirs.begin(), theirs.end()));
    }
  }

  auto next = (*src)->next_outbox_due();
  std::lock_guard lk(state_mu_);
  if (next && *next) {
    backlog_.insert(src_info->slug);
    const auto wait = std::chrono::milliseconds(std::max<std::int64_t>(0, **next - now_ms()));
    queue_->notify_at(src_info->slug, delivery_queue::clock::now() + wait);
  } else {
    backlog_.erase(src_info->slug);
  }
  return delivered;
}

result<void> service::check_partners(std::string_view slug,
                                     const std::vector<std::string>& partners) {
  for (const auto& p : partners) {
    if (!valid_slug(p) || p == slug) return not_a_partner(p);
    auto ok = reg_->are_partners(slug, p);
    if (!ok) return ok.err();
    if (!*ok) return not_a_partner(p);
  }
  return {};
}

result<std::vector<tenant::news_item>> service::catalog(std::string_view caller,
                                                        std::string_view from) {
  const error hidden(errc::not_found, "unknown_partner", "no partner municipality by that name");
  if (!valid_slug(from) || from == caller) return hidden;
  auto ok = reg_->are_partners(caller, from);
  if (!ok) return ok.err();
  if (!*ok) return hidden;
  auto src = open_active(from);
  if (!src)
    return src.err().kind == errc::suspended
               ? error(errc::unavailable, "partner_unavailable",
                       "that partner's intranet is suspended right now")
               : src.err();
  return (*src)->sharing_catalog();
}

result<tenant::news_item> service::borrow(std::string_view borrower, tenant::store& borrower_store,
                                          const tenant::viewer& who, std::string_view from,
                                          std::int64_t news_id,
                                          const std::optional<tenant::audience>& target) {
  if (!tenant::has(who.roles, tenant::role::editor) && !tenant::has(who.roles, tenant::role::admin))
    return error(errc::forbidden, "editor_required", "only editors borrow news");
  const error hidden(errc::not_found, "unknown_partner", "no partner municipality by that name");
  if (!valid_slug(from) || from == borrower) return hidden;
  auto ok = reg_->are_partners(borrower, from);
  if (!ok) return ok.err();
  if (!*ok) return hidden;
  auto src_info = reg_->get_tenant(from);
  if (!src_info && src_info.err().kind == errc::not_found && remote_) {
    // The lender lives on another node: it records the loan (target + outbox row), we apply.
    auto m = remote_->lend(from, news_id, borrower);
    if (!m) return m.err();
    if (m->source_slug != from || m->payload.news_id != news_id ||
        m->via != tenant::share_via::borrow)
      return error(errc::internal, "bad_node_answer", "the lender's node answered another item");
    m->source_name = remote_name(borrower, from);
    if (auto files = carry(borrower, borrower_store, *m); !files) return files.err();
    auto applied = borrower_store.sharing_apply(*m, target.value_or(tenant::audience{}), who.email);
    if (!applied) return applied.err();
    return borrowed_copy(borrower_store, who, from, news_id);
  }
  if (!src_info) return src_info.err();
  if (src_info->state != tenant_state::active)
    return error(errc::unavailable, "partner_unavailable", "that partner is suspended right now");
  auto src = open_(*src_info);
  if (!src) return src.err();
  // Source first, with an outbox row: if the apply below is lost, the relay delivers the same
  // revision later (as an accepted borrow).
  auto payload = (*src)->lend_news(news_id, borrower);
  if (!payload) return payload.err();
  if (auto files = carry_files(**src, borrower_store, *payload); !files) return files.err();
  tenant::share_message m{src_info->slug, src_info->name, tenant::share_via::borrow, *payload};
  auto applied = borrower_store.sharing_apply(m, target.value_or(tenant::audience{}), who.email);
  if (!applied) return applied.err();
  wake(src_info->slug);
  return borrowed_copy(borrower_store, who, from, news_id);
}

result<std::vector<copy_report>> service::distribution(std::string_view source, tenant::store& src,
                                                       const tenant::viewer& who,
                                                       std::int64_t news_id) {
  auto entries = src.distribution(who, news_id);
  if (!entries) return entries.err();
  std::vector<copy_report> out;
  for (auto& e : *entries) {
    copy_report r;
    r.state = e.state;
    auto info = reg_->get_tenant(e.partner);
    r.partner_name = info ? info->name : remote_name(source, e.partner);
    r.delivery = std::move(e);
    // The receiver's decision, read from its store when it is reachable (design note 1); the
    // source never stores it, so it cannot go stale.
    const bool ended = r.delivery.state == "ended";
    if (!ended && info && info->state == tenant_state::active) {
      if (auto dst = open_(*info))
        if (auto copy = (*dst)->sharing_copy_of(source, news_id); copy && *copy)
          merge_copy(r, std::move(**copy));
    } else if (!ended && !info && remote_) {  // on another node: asked there (ours if it is down)
      if (auto copy = remote_->copy_of(r.delivery.partner, source, news_id); copy && *copy)
        merge_copy(r, std::move(**copy));
    }
    out.push_back(std::move(r));
  }
  return out;
}

void service::record_at_source(const tenant::shared_copy& copy, std::string_view receiver,
                               std::string_view action, std::string_view actor) {
  auto src = open_active(copy.source_slug);
  if (!src && src.err().kind == errc::not_found && remote_) {  // the source is on another node
    (void)remote_->record({copy.source_slug, std::string(receiver), std::string(action),
                           std::string(actor), copy.source_news_id});
    return;
  }
  if (!src) return;  // best effort: the receiver's own audit line is the record of truth
  (void)(*src)->sharing_record(std::string(receiver) + ":" + std::string(actor), action,
                               copy.source_news_id, receiver, "by the receiving municipality");
}

// --- Cluster mode ---------------------------------------------------------------------------

std::string service::remote_name(std::string_view local, std::string_view remote) {
  if (auto all = reg_->remote_partners())
    for (const auto& r : *all)
      if (r.local == local && r.remote == remote) return r.remote_name;
  return std::string(remote);
}

result<void> service::carry(std::string_view receiver, tenant::store& dst,
                            const tenant::share_message& m) {
  if (m.payload.files.empty()) return {};
  auto src_info = reg_->get_tenant(m.source_slug);
  if (src_info) {
    auto src = open_(*src_info);
    if (!src) return src.err();
    return carry_files(**src, dst, m.payload);
  }
  if (src_info.err().kind != errc::not_found || !remote_) return src_info.err();
  for (const auto& f : m.payload.files) {
    auto tmp = remote_->fetch_file(m.source_slug, receiver, f);
    if (!tmp) return tmp.err();
    auto r = dst.receive_shared_file(*tmp, f);
    std::error_code ec;
    std::filesystem::remove(*tmp, ec);
    if (!r) return r.err();
  }
  return {};
}

bool service::is_remote_partner(std::string_view slug, std::string_view other) {
  auto info = reg_->get_tenant(other);
  if (info || info.err().kind != errc::not_found) return false;
  auto ok = reg_->are_partners(slug, other);
  return ok && *ok;
}

remote_outcome service::take_delivery(const remote_delivery& d) {
  remote_outcome out{d.message.source_slug,      d.receiver, d.outbox_id,
                     d.message.payload.revision, d.attempts, std::nullopt};
  auto failed = [&](const error& e) {
    out.failure = e.code + ": " + e.message;
    return out;
  };
  // A source registered here never sends through a stream: such an entry is forged or stale, and
  // must not make this node copy one local tenant's files into another.
  if (auto local = reg_->get_tenant(d.message.source_slug); local)
    return failed(error(errc::conflict, "source_is_local",
                        d.message.source_slug + " is served by this node"));
  auto info = reg_->get_tenant(d.receiver);
  if (!info)
    return failed(info.err().kind == errc::not_found
                      ? error(errc::not_found, "receiver_elsewhere",
                              d.receiver + " is not served by this node (moved?)")
                      : info.err());
  if (info->state != tenant_state::active)
    return failed(error(errc::suspended, "receiver_suspended",
                        d.receiver + " is suspended; delivered after resume"));
  auto ok = reg_->are_partners(d.receiver, d.message.source_slug);
  if (!ok) return failed(ok.err());
  if (!*ok) return failed(not_a_partner(d.message.source_slug));
  auto dst = open_(*info);
  if (!dst) return failed(dst.err());
  // A duplicate (re-sent, or claimed again after a crash): answered at once, no files fetched.
  if (auto have = (*dst)->sharing_copy_of(d.message.source_slug, d.message.payload.news_id);
      have && *have && (!(*have)->linked || (*have)->revision >= d.message.payload.revision))
    return out;
  tenant::share_message m = d.message;
  m.source_name = remote_name(d.receiver, m.source_slug);  // names come from our registry
  if (auto files = carry(d.receiver, **dst, m); !files) return failed(files.err());
  if (auto applied = (*dst)->sharing_apply(m); !applied) return failed(applied.err());
  return out;
}

void service::take_outcome(const remote_outcome& o) {
  auto src = open_active(o.source);
  if (!src) return;  // suspended or moved away: the row is sent again by its current owner
  if (auto same = (*src)->outbox_matches(o.outbox_id, o.receiver, o.revision); !same || !*same)
    return;  // not the row this answers (stale or forged): it is sent again if still queued
  if (!o.failure) {
    (void)(*src)->outbox_delivered(o.outbox_id);
  } else {
    const auto next = now_ms() + backoff(o.attempts + 1).count();
    (void)(*src)->outbox_failed(o.outbox_id, *o.failure, next);
    queue_->notify_at(o.source, delivery_queue::clock::now() + (backoff(o.attempts + 1)));
  }
}

void service::take_record(const remote_record& r) {
  auto ok = reg_->are_partners(r.source, r.receiver);
  if (!ok || !*ok) return;
  auto src = open_active(r.source);
  if (!src) return;
  (void)(*src)->sharing_record(r.receiver + ":" + r.actor, r.action, r.news_id, r.receiver,
                               "by the receiving municipality");
}

result<tenant::share_message> service::lend_remote(std::string_view from, std::int64_t news_id,
                                                   std::string_view borrower) {
  auto ok = reg_->are_partners(from, borrower);
  if (!ok) return ok.err();
  if (!*ok) return not_a_partner(borrower);
  auto src_info = reg_->get_tenant(from);
  if (!src_info) return src_info.err();
  if (src_info->state != tenant_state::active)
    return error(errc::unavailable, "partner_unavailable", "that partner is suspended right now");
  auto src = open_(*src_info);
  if (!src) return src.err();
  auto payload = (*src)->lend_news(news_id, borrower);
  if (!payload) return payload.err();
  wake(from);  // the outbox row delivers the same revision again if the borrower's apply is lost
  return tenant::share_message{src_info->slug, src_info->name, tenant::share_via::borrow,
                               std::move(*payload)};
}

result<std::filesystem::path> service::file_for_remote(std::string_view source,
                                                       std::string_view receiver,
                                                       const tenant::shared_file& f) {
  auto ok = reg_->are_partners(source, receiver);
  if (!ok) return ok.err();
  if (!*ok) return not_a_partner(receiver);
  auto src = open_active(source);
  if (!src) return src.err();
  return (*src)->shared_file_path_for(receiver, f);
}

result<std::optional<tenant::shared_copy>> service::copy_for_remote(std::string_view receiver,
                                                                    std::string_view source,
                                                                    std::int64_t news_id) {
  auto ok = reg_->are_partners(receiver, source);
  if (!ok) return ok.err();
  if (!*ok) return not_a_partner(source);
  auto dst = open_active(receiver);
  if (!dst) return dst.err();
  return (*dst)->sharing_copy_of(source, news_id);
}

}  // namespace samverka::sharing
