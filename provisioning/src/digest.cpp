// Notification digests over SMTP. libcurl speaks SMTP (and SMTPS/STARTTLS) well and is packaged
// in Debian (libcurl4-openssl-dev), so there is no hand-written SMTP state machine here.
#include "samverka/provisioning/digest.hpp"

#include <curl/curl.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

#include "samverka/core/clock.hpp"
#include "samverka/core/crypto.hpp"

namespace samverka::provisioning {

namespace {

// A relay that does not answer within this time is reported, not waited for: the next run
// retries, so a stuck relay must not hang the daily job.
constexpr long smtp_timeout_seconds = 30;

// Header values are UTF-8: encode them as RFC 2047 base64 words.
std::string encoded_word(std::string_view text) {
  static constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = "=?UTF-8?B?";
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8) |
                       static_cast<unsigned char>(text[i + 2]);
    out += b64[(v >> 18) & 63];
    out += b64[(v >> 12) & 63];
    out += b64[(v >> 6) & 63];
    out += b64[v & 63];
  }
  if (i + 1 == text.size()) {
    const unsigned v = static_cast<unsigned char>(text[i]) << 16;
    out += b64[(v >> 18) & 63];
    out += b64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == text.size()) {
    const unsigned v = (static_cast<unsigned char>(text[i]) << 16) |
                       (static_cast<unsigned char>(text[i + 1]) << 8);
    out += b64[(v >> 18) & 63];
    out += b64[(v >> 12) & 63];
    out += b64[(v >> 6) & 63];
    out += '=';
  }
  return out + "?=";
}

// Removes CR and LF so no value can inject a header.
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

struct upload {
  std::string_view data;
  std::size_t pos = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<upload*>(user);
  const std::size_t room = size * n;
  const std::size_t left = u->data.size() - u->pos;
  const std::size_t k = std::min(room, left);
  std::memcpy(buf, u->data.data() + u->pos, k);
  u->pos += k;
  return k;
}

// "Sun, 22 Nov 2026 09:00:00 +0000" (RFC 5322 section 3.3), in the C locale.
std::string rfc5322_date() {
  const std::time_t t = static_cast<std::time_t>(now_ms() / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday],
                tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string compose_digest(const tenant::digest& d, std::string_view tenant_name,
                           const smtp_config& cfg) {
  std::string subject = std::to_string(d.groups.size()) +
                        (d.groups.size() == 1 ? " ny händelse på " : " nya händelser på ") +
                        std::string(tenant_name) + "s intranät";
  std::string body = "Hej " + d.name + "!\r\n\r\nSedan sist har detta hänt:\r\n\r\n";
  for (const auto& g : d.groups) body += "  - " + one_line(g.text) + "\r\n";
  body +=
      "\r\nLogga in på intranätet för att läsa mer. Du kan stänga av sammanfattningen under "
      "Inställningar > Aviseringar.\r\n";
  std::string msg;
  msg += "Date: " + rfc5322_date() + "\r\n";
  msg += "From: " + one_line(cfg.from) + "\r\n";
  msg += "To: " + one_line(d.email) + "\r\n";
  msg += "Subject: " + encoded_word(one_line(subject)) + "\r\n";
  msg += "Message-ID: <" + crypto::random_token(16) + "@samverka>\r\n";
  msg += "MIME-Version: 1.0\r\n";
  msg += "Content-Type: text/plain; charset=utf-8\r\n";
  msg += "Content-Transfer-Encoding: 8bit\r\n";
  msg += "\r\n";
  msg += body;
  return msg;
}

result<void> smtp_send(const smtp_config& cfg, std::string_view to, std::string_view message) {
  global_init();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return error(errc::internal, "curl_easy_init failed");
  const std::string from = "<" + one_line(cfg.from) + ">";
  const std::string rcpt = "<" + one_line(to) + ">";
  curl_slist* rcpts = curl_slist_append(nullptr, rcpt.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpts_guard(rcpts,
                                                                          curl_slist_free_all);
  upload up{message, 0};
  char errbuf[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, cfg.url.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(h, CURLOPT_READDATA, &up);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, smtp_timeout_seconds);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (cfg.user) curl_easy_setopt(h, CURLOPT_USERNAME, cfg.user->c_str());
  if (cfg.password) curl_easy_setopt(h, CURLOPT_PASSWORD, cfg.password->c_str());
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK)
    return error(errc::unavailable, "smtp_failed",
                 std::string("SMTP relay ") + cfg.url + ": " +
                     (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  return {};
}

result<digest_report> send_digests(tenant::store& s, std::string_view tenant_name,
                                   const smtp_config& cfg) {
  auto due = s.pending_digests();
  if (!due) return due.err();
  digest_report report;
  for (const auto& d : *due) {
    if (auto sent = smtp_send(cfg, d.email, compose_digest(d, tenant_name, cfg)); !sent) {
      if (report.sent == 0 && report.failed == 0 && sent.err().kind == errc::unavailable &&
          due->size() > 1) {
        // The relay refused the very first message: most likely down, so stop instead of
        // hammering it once per person; the next run retries everyone.
        return sent.err();
      }
      ++report.failed;
      continue;
    }
    if (auto r = s.mark_digested(d.user_id, d.upto_id); !r) return r.err();
    ++report.sent;
  }
  return report;
}

}  // namespace samverka::provisioning
