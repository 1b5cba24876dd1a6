// GET /api/v1/search (CONTRACT.md): one search over what the caller may read. The store does
// the permission filtering, ranking and snippet escaping; this handler only validates the
// query string.
//
//   q       required, 1..tenant::limits::max_search_query bytes; any characters are safe
//   type    optional: news | page | document | person | guide | group
//   prefix  optional "1"/"true" (or mode=prefix): type-ahead, the last word matches as a prefix
//   limit   optional 1..tenant::limits::max_search_results
#include <boost/json.hpp>

#include <charconv>

#include "app.hpp"
#include "json_output.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/tenant/content_limits.hpp"

namespace samverka::gateway {

namespace {

error bad_search_param(std::string_view name, std::string_view why) {
  return error(errc::invalid_input, "invalid_parameter",
               "query parameter \"" + std::string(name) + "\" " + std::string(why));
}

}  // namespace

result<http_response> app::search(request_context& ctx) {
  tenant::search_query q;
  const auto text = param(ctx.query, "q");
  if (!text || text->empty()) return bad_search_param("q", "is required");
  if (text->size() > tenant::limits::max_search_query)
    return bad_search_param(
        "q", "is longer than " + std::to_string(tenant::limits::max_search_query) + " bytes");
  q.text = std::string(*text);
  if (const auto type = param(ctx.query, "type"); type && !type->empty()) {
    q.kind = tenant::parse_search_kind(*type);
    if (!q.kind)
      return bad_search_param("type", "must be news, page, document, person, guide or group");
  }
  if (const auto p = param(ctx.query, "prefix")) {
    if (*p == "1" || *p == "true")
      q.prefix = true;
    else if (!(*p == "0" || *p == "false"))
      return bad_search_param("prefix", "must be 1, 0, true or false");
  }
  if (const auto m = param(ctx.query, "mode")) {
    if (*m == "prefix")
      q.prefix = true;
    else if (*m != "words")
      return bad_search_param("mode", "must be words or prefix");
  }
  q.limit = tenant::limits::default_search_results;
  if (const auto l = param(ctx.query, "limit")) {
    std::size_t v = 0;
    auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
    if (ec != std::errc() || end != l->data() + l->size() || v < 1 ||
        v > tenant::limits::max_search_results)
      return bad_search_param("limit",
                              "must be 1.." + std::to_string(tenant::limits::max_search_results));
    q.limit = v;
  }
  auto hits = ctx.store->search(ctx.who->viewer, q);
  if (!hits) return hits.err();
  boost::json::array items;
  for (const auto& h : *hits) {
    items.push_back(boost::json::object{{"type", tenant::to_string(h.kind)},
                                        {"id", h.id},
                                        {"title", h.title},
                                        {"snippet", h.snippet},
                                        {"updated_at", to_rfc3339(h.fresh_at_ms)}});
  }
  return json_response(200, boost::json::object{{"items", std::move(items)}});
}

}  // namespace samverka::gateway
