// The web front end's static assets (static_assets.hpp): BASE/assets/VERSION/PATH. The shell
// itself is app::home_page (handlers.cpp). Assets are the same for every tenant; they go through
// the tenant route so that one URL scheme (BASE/...) serves host- and prefix-addressed tenants.
#include "app.hpp"
#include "static_assets.hpp"

namespace samverka::gateway {

namespace {

// A URL carries the bundle version, so its content never changes: cache for a year without
// revalidating. (The shell that names these URLs is never cached.)
constexpr std::string_view immutable_cache = "public, max-age=31536000, immutable";

}  // namespace

result<http_response> app::static_asset(request_context& ctx) {
  const auto& p = ctx.params;  // version, then one or two path segments
  const error missing(errc::not_found, "not_found", "no such asset");
  // An asset of another build is refused rather than answered with this build's bytes, which
  // would then be cached for a year under the wrong URL.
  if (p.empty() || p.front() != static_assets_version()) return missing;
  const std::string path = p.size() == 3 ? p[1] + "/" + p[2] : p.at(1);
  const auto* a = find_static_asset(path);
  if (!a || path == "index.html") return missing;  // the shell is rendered per tenant at /

  http_response res;
  res.content_type = std::string(a->content_type);
  res.set_header("Cache-Control", std::string(immutable_cache));
  res.set_header("ETag", std::string(a->etag));
  if (!a->gzip_body.empty()) res.set_header("Vary", "Accept-Encoding");
  if (const auto inm = ctx.req.header("if-none-match"); inm && etag_matches(*inm, a->etag)) {
    res.status = 304;
    return res;
  }
  const auto ae = ctx.req.header("accept-encoding");
  if (!a->gzip_body.empty() && ae && accepts_gzip(*ae)) {
    res.set_header("Content-Encoding", "gzip");
    res.body = std::string(a->gzip_body);
  } else {
    res.body = std::string(a->body);
  }
  return res;
}

}  // namespace samverka::gateway
