// The sharing relay across store nodes (see sharing_link.hpp for the protocol).
//
// Design notes:
//  1. The codec below is the only wire format of a share between nodes. It carries the snapshot
//     exactly as tenant::share_payload holds it; the receiver trusts nothing in it beyond what it
//     would trust from a local source: sharing_apply sanitises the body again, files are checked
//     by hash on arrival, and the source's name is taken from the receiver's own registry.
//  2. Entries are small (a news snapshot, at most limits::max_body_bytes of JSON); file bytes
//     never go through Redis but are fetched from the source's node while applying.
//  3. One consumer thread per node handles its stream in order; deliveries of one source to one
//     receiver are ordered by revision at the receiver anyway (sharing_apply ignores stale ones).
#include "sharing_link.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <optional>
#include <system_error>

#include "errors.hpp"
#include "json_output.hpp"
#include "log.hpp"
#include "samverka/core/crypto.hpp"
#include "samverka/core/slug.hpp"

namespace samverka::gateway {

namespace json = boost::json;

namespace {

// --- codec (design note 1) --------------------------------------------------------------------

std::string str(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::int64_t num(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_int64()    ? v->as_int64()
         : v && v->is_uint64() ? std::int64_t(v->as_uint64())
                               : 0;
}
std::optional<std::int64_t> opt_num(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  if (!v || v->is_null()) return std::nullopt;
  return num(o, k);
}
bool flag(const json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_bool() && v->as_bool();
}
const json::object& obj(const json::object& o, std::string_view k) {
  static const json::object empty;
  auto* v = o.if_contains(k);
  return v && v->is_object() ? v->as_object() : empty;
}
const json::array& arr(const json::object& o, std::string_view k) {
  static const json::array empty;
  auto* v = o.if_contains(k);
  return v && v->is_array() ? v->as_array() : empty;
}

json::object file_json(const tenant::shared_file& f) {
  return {{"source_document_id", f.source_document_id},
          {"title", f.title},
          {"file_name", f.file_name},
          {"content_type", f.content_type},
          {"sha256", f.sha256},
          {"size", f.size}};
}
tenant::shared_file file_from(const json::object& o) {
  tenant::shared_file f;
  f.source_document_id = num(o, "source_document_id");
  f.title = str(o, "title");
  f.file_name = str(o, "file_name");
  f.content_type = str(o, "content_type");
  f.sha256 = str(o, "sha256");
  f.size = static_cast<std::uint64_t>(std::max<std::int64_t>(0, num(o, "size")));
  return f;
}

json::object message_json(const tenant::share_message& m) {
  const auto& p = m.payload;
  json::array roles, attachments, files;
  for (const auto& r : p.roles) roles.push_back(json::string(r));
  for (auto a : p.attachments) attachments.push_back(a);
  for (const auto& f : p.files) files.push_back(file_json(f));
  return {{"source_slug", m.source_slug},
          {"source_name", m.source_name},
          {"via", tenant::to_string(m.via)},
          {"payload",
           {{"news_id", p.news_id},
            {"revision", p.revision},
            {"title", p.title},
            {"summary", p.summary},
            {"body", p.body},
            {"author_name", p.author_name},
            {"published_at_ms", p.published_at_ms},
            {"unpublish_at_ms",
             p.unpublish_at_ms ? json::value(*p.unpublish_at_ms) : json::value(nullptr)},
            {"updated_at_ms", p.updated_at_ms},
            {"roles", std::move(roles)},
            {"withdrawn", p.withdrawn},
            {"attachments", std::move(attachments)},
            {"files", std::move(files)}}}};
}
result<tenant::share_message> message_from(const json::object& o) {
  tenant::share_message m;
  m.source_slug = str(o, "source_slug");
  m.source_name = str(o, "source_name");
  m.via = str(o, "via") == "borrow" ? tenant::share_via::borrow : tenant::share_via::push;
  const auto& p = obj(o, "payload");
  m.payload.news_id = num(p, "news_id");
  m.payload.revision = num(p, "revision");
  m.payload.title = str(p, "title");
  m.payload.summary = str(p, "summary");
  m.payload.body = str(p, "body");
  m.payload.author_name = str(p, "author_name");
  m.payload.published_at_ms = num(p, "published_at_ms");
  m.payload.unpublish_at_ms = opt_num(p, "unpublish_at_ms");
  m.payload.schedule_known = p.contains("unpublish_at_ms");  // absent from older nodes
  m.payload.updated_at_ms = num(p, "updated_at_ms");
  for (const auto& r : arr(p, "roles"))
    if (r.is_string()) m.payload.roles.emplace_back(r.as_string());
  m.payload.withdrawn = flag(p, "withdrawn");
  for (const auto& a : arr(p, "attachments"))
    if (a.is_int64()) m.payload.attachments.push_back(a.as_int64());
  for (const auto& f : arr(p, "files"))
    if (f.is_object()) m.payload.files.push_back(file_from(f.as_object()));
  if (!valid_slug(m.source_slug) || m.payload.news_id <= 0 || m.payload.revision <= 0)
    return error(errc::invalid_input, "bad_share_message", "a share message without its source");
  return m;
}

result<json::object> parse_object(std::string_view text) {
  json::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object())
    return error(errc::invalid_input, "bad_json", "an internal message is not a JSON object");
  return std::move(v.as_object());
}

// A failure another node answered with (the contract's error shape), as the error it was there.
error error_from(const http_response& res) {
  errc kind = errc::internal;
  switch (res.status) {
    case 400:
      kind = errc::invalid_input;
      break;
    case 403:
      kind = errc::forbidden;
      break;
    case 404:
      kind = errc::not_found;
      break;
    case 409:
      kind = errc::conflict;
      break;
    case 413:
      kind = errc::too_large;
      break;
    case 422:
      kind = errc::unprocessable;
      break;
    case 503:
      kind = errc::unavailable;
      break;
    default:
      break;
  }
  std::string code = "node_error", message = "another node answered " + std::to_string(res.status);
  if (auto o = parse_object(res.body)) {
    const auto& e = obj(*o, "error");
    if (!str(e, "code").empty()) code = str(e, "code");
    if (!str(e, "message").empty()) message = str(e, "message");
  }
  return error(kind, code, message);
}

// The field named `name` of a stream entry's flat [field, value, ...] list.
std::string field(const cluster::reply& fields, std::string_view name) {
  for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2)
    if (fields.elements[i].str == name) return fields.elements[i + 1].str;
  return {};
}

// Where fetched file bytes wait until the receiver's store has copied and checked them (one
// folder per node, emptied at start: what a crash left there is garbage).
std::filesystem::path fetch_dir(std::string_view node_id) {
  return std::filesystem::temp_directory_path() / "samverka-relay-files" / std::string(node_id);
}

}  // namespace

sharing_link::sharing_link(const cluster::redis_address& redis_addr, std::string node_id,
                           std::string cluster_key)
    : node_id_(std::move(node_id)),
      key_(std::move(cluster_key)),
      stream_(std::string(relay_stream_prefix) + node_id_),
      follower_(redis_addr),
      writer_(redis_addr),
      consumer_(redis_addr) {}

sharing_link::~sharing_link() {
  stop();
}

void sharing_link::start(sharing::service& svc) {
  if (thread_.joinable()) return;
  svc_ = &svc;
  stop_ = false;
  std::error_code ec;
  std::filesystem::remove_all(fetch_dir(node_id_), ec);
  thread_ = std::thread([this] { consume(); });
}

void sharing_link::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void sharing_link::ensure_group() {
  auto r =
      consumer_.command({"XGROUP", "CREATE", stream_, std::string(relay_group), "0", "MKSTREAM"});
  if (!r && r.err().message.find("BUSYGROUP") == std::string::npos)
    log_event("warn", "relay stream group", {{"detail", r.err().message}});
}

void sharing_link::consume() {
  ensure_group();
  reclaim(0ms);  // what this node read before it stopped (crashed) and never acknowledged
  auto last_reclaim = std::chrono::steady_clock::now();
  const auto block = std::to_string(relay_block.count());
  while (!stop_) {
    if (std::chrono::steady_clock::now() - last_reclaim > relay_reclaim_interval) {
      reclaim(relay_reclaim_idle);
      last_reclaim = std::chrono::steady_clock::now();
    }
    auto r =
        consumer_.command({"XREADGROUP", "GROUP", std::string(relay_group), node_id_, "COUNT",
                           std::to_string(relay_batch), "BLOCK", block, "STREAMS", stream_, ">"});
    if (!r) {
      // NOGROUP: Redis restarted empty; the sources re-send what was lost (see the header).
      if (r.err().message.find("NOGROUP") != std::string::npos) {
        ensure_group();
        reclaim(0ms);
      } else {
        std::this_thread::sleep_for(relay_retry);
      }
      continue;
    }
    // [[stream, [[id, [field, value, ...]], ...]]] or nil on time-out.
    for (const auto& s : r->elements)
      if (s.elements.size() == 2) handle_entries(s.elements[1]);
  }
}

void sharing_link::reclaim(std::chrono::milliseconds idle) {
  std::string start = "0-0";
  for (int round = 0; round < 1000 && !stop_; ++round) {  // bounded: 1000 batches per call
    auto r = consumer_.command({"XAUTOCLAIM", stream_, std::string(relay_group), node_id_,
                                std::to_string(idle.count()), start, "COUNT",
                                std::to_string(relay_batch)});
    if (!r || r->elements.size() < 2) return;
    handle_entries(r->elements[1]);
    start = r->elements[0].str;
    if (start == "0-0" || start.empty()) return;
  }
}

void sharing_link::handle_entries(const cluster::reply& entries) {
  for (const auto& e : entries.elements) {
    if (e.elements.size() != 2) continue;  // an entry trimmed away while pending: nothing to do
    const auto& id = e.elements[0].str;
    if (!handle_entry(e.elements[1])) continue;  // stays pending; reclaimed later
    (void)consumer_.command({"XACK", stream_, std::string(relay_group), id});
  }
}

bool sharing_link::handle_entry(const cluster::reply& fields) {
  const auto type = field(fields, "type");
  auto body = parse_object(field(fields, "body"));
  if (!body) return true;  // not ours to understand: acknowledged and dropped
  try {
    if (type == "deliver") {
      sharing::remote_delivery d;
      d.receiver = str(*body, "receiver");
      d.outbox_id = num(*body, "outbox_id");
      d.attempts = num(*body, "attempts");
      auto m = message_from(obj(*body, "message"));
      if (!m) return true;
      d.message = std::move(*m);
      const auto outcome = svc_->take_delivery(d);
      if (outcome.failure)
        log_event("warn", "remote delivery failed",
                  {{"source", d.message.source_slug},
                   {"receiver", d.receiver},
                   {"detail", *outcome.failure}});
      // An answer for a source no node serves any more (deleted) is dropped: nobody waits for it.
      auto sent = answer(outcome);
      return sent || sent.err().kind == errc::not_found;
    }
    if (type == "outcome") {
      sharing::remote_outcome o;
      o.source = str(*body, "source");
      o.receiver = str(*body, "receiver");
      o.outbox_id = num(*body, "outbox_id");
      o.revision = num(*body, "revision");
      o.attempts = num(*body, "attempts");
      if (auto* f = body->if_contains("failure"); f && f->is_string())
        o.failure = std::string(f->as_string());
      svc_->take_outcome(o);
      return true;
    }
    if (type == "record") {
      svc_->take_record({str(*body, "source"), str(*body, "receiver"), str(*body, "action"),
                         str(*body, "actor"), num(*body, "news_id")});
      return true;
    }
  } catch (const std::exception& e) {  // a bug: keep the entry pending rather than lose it
    log_event("error", "relay entry failed", {{"detail", e.what()}});
    return false;
  }
  return true;
}

result<void> sharing_link::post(std::string_view slug, std::string_view type, std::string body) {
  const auto owner = follower_.placement().owner(slug);
  if (!owner)
    return error(errc::not_found, "tenant_unplaced",
                 "no store node serves " + std::string(slug) + " right now");
  auto r = writer_.command({"XADD", std::string(relay_stream_prefix) + *owner, "MAXLEN", "~",
                            std::to_string(relay_stream_max), "*", "type", std::string(type),
                            "body", std::move(body)});
  if (!r) return error(errc::unavailable, "relay_unavailable", "Redis: " + r.err().message);
  return {};
}

result<void> sharing_link::send(const sharing::remote_delivery& d) {
  json::object o{{"receiver", d.receiver},
                 {"outbox_id", d.outbox_id},
                 {"attempts", d.attempts},
                 {"message", message_json(d.message)}};
  return post(d.receiver, "deliver", json::serialize(o));
}

result<void> sharing_link::answer(const sharing::remote_outcome& o) {
  json::object j{{"source", o.source},
                 {"receiver", o.receiver},
                 {"outbox_id", o.outbox_id},
                 {"revision", o.revision},
                 {"attempts", o.attempts}};
  if (o.failure) j["failure"] = *o.failure;
  return post(o.source, "outcome", json::serialize(j));
}

result<void> sharing_link::record(const sharing::remote_record& r) {
  json::object j{{"source", r.source},
                 {"receiver", r.receiver},
                 {"action", r.action},
                 {"actor", r.actor},
                 {"news_id", r.news_id}};
  return post(r.source, "record", json::serialize(j));
}

result<http_response> sharing_link::call(std::string_view slug, std::string_view path,
                                         std::string body, std::chrono::milliseconds timeout) {
  const auto url = follower_.placement().node_url(slug);
  if (!url)
    return error(errc::unavailable, "partner_unavailable",
                 "that partner's intranet cannot be reached right now");
  http_request req;
  req.method = "POST";
  req.target = std::string(sharing_internal_prefix) + std::string(path);
  req.headers.emplace_back("content-type", "application/json");
  req.body = std::move(body);
  auto res = upstream_.forward(*url, req, {{std::string(node_key_header), key_}}, timeout);
  if (!res)
    return error(errc::unavailable, "partner_unavailable",
                 "that partner's intranet cannot be reached right now");
  if (res->status != 200) return error_from(*res);
  return std::move(res.value());
}

result<tenant::share_message> sharing_link::lend(std::string_view from, std::int64_t news_id,
                                                 std::string_view borrower) {
  json::object o{{"from", from}, {"news_id", news_id}, {"borrower", borrower}};
  auto res = call(from, "lend", json::serialize(o));
  if (!res) return res.err();
  auto body = parse_object(res->body);
  if (!body) return body.err();
  return message_from(*body);
}

result<std::filesystem::path> sharing_link::fetch_file(std::string_view source,
                                                       std::string_view receiver,
                                                       const tenant::shared_file& f) {
  json::object o{{"source", source}, {"receiver", receiver}, {"file", file_json(f)}};
  auto res = call(source, "file", json::serialize(o), internal_file_timeout);
  if (!res) return res.err();
  std::error_code ec;
  std::filesystem::create_directories(fetch_dir(node_id_), ec);
  const auto path = fetch_dir(node_id_) / (crypto::random_token(12) + ".part");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(res->body.data(), static_cast<std::streamsize>(res->body.size()));
  out.close();
  if (!out) {
    std::filesystem::remove(path, ec);
    return error(errc::unavailable, "shared_file_copy", "cannot write a fetched shared file");
  }
  return path;
}

result<std::optional<tenant::shared_copy>> sharing_link::copy_of(std::string_view receiver,
                                                                 std::string_view source,
                                                                 std::int64_t news_id) {
  json::object o{{"receiver", receiver}, {"source", source}, {"news_id", news_id}};
  auto res = call(receiver, "copy", json::serialize(o));
  if (!res) return res.err();
  auto body = parse_object(res->body);
  if (!body) return body.err();
  const auto* c = body->if_contains("copy");
  if (!c || !c->is_object()) return std::optional<tenant::shared_copy>{};
  const auto& co = c->as_object();
  tenant::shared_copy copy;
  copy.source_slug = std::string(source);
  copy.source_news_id = news_id;
  const auto status = str(co, "status");
  copy.status = status == "accepted"    ? tenant::copy_status::accepted
                : status == "declined"  ? tenant::copy_status::declined
                : status == "withdrawn" ? tenant::copy_status::withdrawn
                                        : tenant::copy_status::pending;
  copy.linked = flag(co, "linked");
  copy.revision = num(co, "revision");
  return std::optional<tenant::shared_copy>(std::move(copy));
}

result<http_response> sharing_link::catalog(std::string_view caller, std::string_view from) {
  json::object o{{"caller", caller}, {"from", from}};
  return call(from, "catalog", json::serialize(o));
}

http_response sharing_link::handle_internal(const http_request& req, sharing::service& svc) {
  if (req.method != "POST") return error_response(405, "method_not_allowed", "use POST");
  auto body = parse_object(req.body);
  if (!body) return error_response(body.err());
  const auto what = std::string_view(req.target).substr(sharing_internal_prefix.size());
  if (what == "lend") {
    auto m = svc.lend_remote(str(*body, "from"), num(*body, "news_id"), str(*body, "borrower"));
    if (!m) return error_response(m.err());
    return json_response(200, message_json(*m));
  }
  if (what == "file") {
    auto path = svc.file_for_remote(str(*body, "source"), str(*body, "receiver"),
                                    file_from(obj(*body, "file")));
    if (!path) return error_response(path.err());
    http_response res;
    res.status = 200;
    res.content_type = "application/octet-stream";
    res.body_file = *path;
    return res;
  }
  if (what == "copy") {
    auto copy =
        svc.copy_for_remote(str(*body, "receiver"), str(*body, "source"), num(*body, "news_id"));
    if (!copy) return error_response(copy.err());
    json::object out;
    if (*copy)
      out["copy"] = {{"status", tenant::to_string((*copy)->status)},
                     {"linked", (*copy)->linked},
                     {"revision", (*copy)->revision}};
    else
      out["copy"] = nullptr;
    return json_response(200, out);
  }
  if (what == "catalog") {
    auto items = svc.catalog(str(*body, "caller"), str(*body, "from"));
    if (!items) return error_response(items.err());
    json::array out;
    for (const auto& n : *items) out.push_back(news_json(n));
    return json_response(200, json::object{{"items", std::move(out)}});
  }
  return error_response(404, "not_found", "no such internal path");
}

}  // namespace samverka::gateway
