#include "query.hpp"

#include <boost/url/params_view.hpp>

#include <charconv>

#include "limits.hpp"
#include "samverka/tenant/limits.hpp"

namespace samverka::gateway {

namespace {

error bad_param(std::string_view name, std::string_view why) {
  return error(errc::invalid_input, "invalid_parameter",
               "query parameter \"" + std::string(name) + "\" " + std::string(why));
}

}  // namespace

result<query_params> parse_query(std::string_view query) {
  query_params out;
  if (query.empty()) return out;
  try {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    const boost::urls::params_view params(query, opts);
    for (const auto& p : params) {
      if (p.key.empty()) continue;  // "a=1&&b=2"
      if (!out.emplace(p.key, p.value).second) return bad_param(p.key, "is given more than once");
    }
  } catch (const std::exception&) {
    return error(errc::invalid_input, "invalid_parameter", "the query string is malformed");
  }
  return out;
}

std::optional<std::string_view> param(const query_params& q, std::string_view name) {
  const auto it = q.find(name);
  if (it == q.end()) return std::nullopt;
  return std::string_view(it->second);
}

result<std::size_t> parse_limit(std::optional<std::string_view> text) {
  if (!text) return tenant::limits::default_page;
  std::size_t n = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (text->empty() || text->front() == '+' || ec != std::errc() || ptr != end || n < 1 ||
      n > tenant::limits::max_page)
    return bad_param(
        "limit", "must be a whole number from 1 to " + std::to_string(tenant::limits::max_page));
  return n;
}

result<tenant::news_scope> parse_scope(std::optional<std::string_view> text) {
  if (!text || *text == "mine") return tenant::news_scope::mine;
  if (*text == "all") return tenant::news_scope::all;
  return bad_param("scope", "must be \"mine\" or \"all\"");
}

result<std::optional<std::string>> parse_cursor(std::optional<std::string_view> text) {
  if (!text) return std::optional<std::string>();
  if (text->empty() || text->size() > limits::max_cursor)
    return bad_param("cursor", "is not a cursor this server returned");
  for (char c : *text)
    if (c <= ' ' || c > '~') return bad_param("cursor", "is not a cursor this server returned");
  return std::optional<std::string>(std::string(*text));
}

std::optional<std::int64_t> parse_id(std::string_view text) noexcept {
  std::int64_t n = 0;
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || ptr != end || n <= 0) return std::nullopt;
  return n;
}

}  // namespace samverka::gateway
