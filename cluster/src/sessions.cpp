#include "samverka/cluster/sessions.hpp"

#include <algorithm>

#include "samverka/core/clock.hpp"

namespace samverka::cluster {

namespace {

std::string session_key(std::string_view home, std::string_view token_hash) {
  std::string key(session_key_prefix);
  key += home;
  key += ':';
  key += token_hash;
  return key;
}

// The run_id field of an INFO reply ("run_id:<hex>\r\n"), or empty.
std::string parse_run_id(std::string_view info) {
  constexpr std::string_view field = "run_id:";
  const auto at = info.find(field);
  if (at == std::string_view::npos) return {};
  auto value = info.substr(at + field.size());
  return std::string(value.substr(0, value.find_first_of("\r\n")));
}

}  // namespace

session_directory::session_directory(redis_address addr) : redis_(std::move(addr)) {}

result<session_directory::process_id> session_directory::run_id() {
  std::lock_guard lock(mu_);
  // Each (re)connect may have reached another Redis process: read its run_id again, over a
  // connection that stayed up while INFO ran.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto connects = redis_.connects();
    if (!id_.run_id.empty() && connects == id_.connects) return id_;
    auto r = redis_.command({"INFO", "server"});
    if (!r) return r.err();
    if (redis_.connects() != connects) continue;  // INFO itself reconnected: ask that one
    std::string id = parse_run_id(r->str);
    if (id.empty()) return error(errc::internal, "redis_no_run_id", "Redis INFO has no run_id");
    id_ = {std::move(id), connects};
  }
  if (id_.run_id.empty() || id_.connects != redis_.connects())
    return error(errc::unavailable, "redis_unsteady", "the Redis connection keeps dropping");
  return id_;
}

result<void> session_directory::publish(std::string_view home, std::string_view token_hash,
                                        std::string_view email, std::int64_t expires_ms) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto id = run_id();
    if (!id) return id.err();
    std::string value = id->run_id;
    value += ' ';
    value += email;
    const auto until = std::min(
        expires_ms,
        now_ms() +
            std::chrono::duration_cast<std::chrono::milliseconds>(session_entry_ttl).count());
    auto r = redis_.command(
        {"SET", session_key(home, token_hash), value, "PXAT", std::to_string(until)});
    if (!r) return r.err();
    // Written over the connection the run_id was read on: the right process. Otherwise the SET
    // reconnected, perhaps to another process: write again under that one's id.
    if (redis_.connects() == id->connects) return {};
  }
  return error(errc::unavailable, "redis_unsteady", "the Redis connection keeps dropping");
}

std::optional<std::string> session_directory::find(std::string_view home,
                                                   std::string_view token_hash) {
  // Only an entry read over a connection whose process is known (or learnt now) counts; a GET
  // that (re)connected is asked again over the new connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto connects = redis_.connects();
    auto r = redis_.command({"GET", session_key(home, token_hash)});
    if (!r) return std::nullopt;
    if (redis_.connects() != connects) continue;
    if (r->type != reply::kind::string) return std::nullopt;
    auto id = run_id();
    if (!id || id->connects != connects) return std::nullopt;
    const std::string_view value = r->str;
    const auto space = value.find(' ');
    if (space == std::string_view::npos || value.substr(0, space) != id->run_id)
      return std::nullopt;
    return std::string(value.substr(space + 1));
  }
  return std::nullopt;
}

result<void> session_directory::forget(std::string_view home,
                                       const std::vector<std::string>& token_hashes) {
  if (token_hashes.empty()) return {};
  std::vector<std::string> del{"DEL"};
  for (const auto& h : token_hashes) del.push_back(session_key(home, h));
  auto r = redis_.command(del);
  if (!r) return r.err();
  return {};
}

result<void> session_directory::forget_home(std::string_view home) {
  std::string pattern(session_key_prefix);
  pattern += home;
  pattern += ":*";
  std::string cursor = "0";
  do {
    auto r = redis_.command(
        {"SCAN", cursor, "MATCH", pattern, "COUNT", std::to_string(session_scan_count)});
    if (!r) return r.err();
    if (r->type != reply::kind::array || r->elements.size() != 2)
      return error(errc::internal, "redis_bad_reply", "SCAN answered badly");
    cursor = r->elements[0].str;
    std::vector<std::string> del{"DEL"};
    for (const auto& k : r->elements[1].elements) del.push_back(k.str);
    if (del.size() > 1)
      if (auto d = redis_.command(del); !d) return d.err();
  } while (cursor != "0");
  return {};
}

}  // namespace samverka::cluster
