// Content lists: GET /api/v1/documents and GET /api/v1/guides (docs/openapi.yaml).
// Both answer {"items": [...], "next_cursor": string|null}, newest updated first, with
// ?limit= (default content2_limits::default_list, at most max_list), ?cursor= and ?q= (title).
#include <boost/json.hpp>

#include <charconv>

#include "app.hpp"
#include "errors.hpp"
#include "json_output.hpp"
#include "query.hpp"
#include "samverka/core/clock.hpp"
#include "samverka/tenant/content2.hpp"

namespace samverka::gateway {

namespace {

namespace cl = tenant::content2_limits;

error bad_list_param(std::string_view name, std::string_view why) {
  return error(errc::invalid_input, "invalid_parameter",
               "query parameter \"" + std::string(name) + "\" " + std::string(why));
}

result<tenant::list_request> list_request_of(const request_context& ctx) {
  tenant::list_request r;
  if (auto l = param(ctx.query, "limit")) {
    std::size_t n = 0;
    const auto* end = l->data() + l->size();
    auto [p, ec] = std::from_chars(l->data(), end, n);
    if (ec != std::errc() || p != end || n < 1 || n > cl::max_list)
      return bad_list_param("limit", "must be 1.." + std::to_string(cl::max_list));
    r.limit = n;
  }
  if (auto c = param(ctx.query, "cursor")) r.cursor = std::string(*c);
  if (auto q = param(ctx.query, "q")) r.q = std::string(*q);
  return r;
}

boost::json::value cursor_json(const std::optional<std::string>& c) {
  if (c) return boost::json::value(*c);
  return nullptr;
}

// The document JSON of GET /documents/{id} without its version history.
boost::json::object document_item(const tenant::document& d, const std::string& base) {
  const auto& cur = d.versions.empty() ? tenant::document_version{} : d.versions.front();
  boost::json::object o{
      {"id", d.id},
      {"title", d.title},
      {"version", d.version},
      {"file_name", cur.file_name},
      {"content_type", cur.content_type},
      {"size", cur.size},
      {"updated_at", to_rfc3339(d.updated_at_ms)},
      {"download_url", base + "/api/v1/documents/" + std::to_string(d.id) + "/content"}};
  if (d.group_id)
    o["group_id"] = *d.group_id;
  else
    o["group_id"] = nullptr;
  return o;
}

}  // namespace

result<http_response> app::list_documents(request_context& ctx) {
  auto r = list_request_of(ctx);
  if (!r) return r.err();
  auto page = ctx.store->list_documents(ctx.who->viewer, *r);
  if (!page) return page.err();
  boost::json::array items;
  for (const auto& d : page->items) items.push_back(document_item(d, ctx.addr.base_path));
  return json_response(200, boost::json::object{{"items", std::move(items)},
                                                {"next_cursor", cursor_json(page->next_cursor)}});
}

result<http_response> app::list_guides(request_context& ctx) {
  auto r = list_request_of(ctx);
  if (!r) return r.err();
  auto page = ctx.store->list_guides(ctx.who->viewer, *r);
  if (!page) return page.err();
  boost::json::array items;
  for (const auto& g : page->items)
    items.push_back(boost::json::object{{"id", g.id},
                                        {"title", g.title},
                                        {"summary", g.summary},
                                        {"author", boost::json::object{{"name", g.author_name}}},
                                        {"updated_at", to_rfc3339(g.updated_at_ms)},
                                        {"step_count", g.step_count}});
  return json_response(200, boost::json::object{{"items", std::move(items)},
                                                {"next_cursor", cursor_json(page->next_cursor)}});
}

}  // namespace samverka::gateway
