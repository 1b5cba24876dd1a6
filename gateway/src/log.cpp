#include "log.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <mutex>

#include "limits.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/core/crypto.hpp"

namespace samverka::gateway {

namespace {

// Lines from many threads must not interleave.
std::mutex& log_mutex() {
  static std::mutex mu;
  return mu;
}

void write_line(std::string line) {
  line.push_back('\n');
  std::lock_guard lock(log_mutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

bool request_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string sanitize_request_id(std::optional<std::string_view> client_value) {
  if (client_value && !client_value->empty() && client_value->size() <= limits::max_request_id) {
    bool ok = true;
    for (char c : *client_value) ok = ok && request_id_char(c);
    if (ok) return std::string(*client_value);
  }
  return crypto::random_token(12);  // 16 base64url chars: unique enough to correlate
}

std::string format_access(const access_record& r, std::int64_t now_ms) {
  boost::json::object o;
  o["ts"] = to_rfc3339(now_ms);
  o["level"] = "info";
  o["request_id"] = r.request_id;
  o["tenant"] = r.tenant;
  o["method"] = r.method;
  o["route"] = r.route;
  o["status"] = r.status;
  // Boost.JSON prints doubles in exponent form ("2.9E-1"); humans read these lines too.
  std::string line = boost::json::serialize(o);
  char ms[32];
  std::snprintf(ms, sizeof ms, ",\"duration_ms\":%.3f}", r.duration_ms < 0 ? 0.0 : r.duration_ms);
  line.pop_back();  // the closing brace
  line += ms;
  return line;
}

void log_access(const access_record& r) {
  write_line(format_access(r, now_ms()));
}

void log_event(std::string_view level, std::string_view msg,
               std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  boost::json::object o;
  o["ts"] = to_rfc3339(now_ms());
  o["level"] = level;
  o["msg"] = msg;
  for (const auto& [k, v] : fields) o[k] = v;
  write_line(boost::json::serialize(o));
}

}  // namespace samverka::gateway
