#include "static_assets.hpp"

#include "samverka/tenant/sanitize.hpp"

#include <algorithm>
#include <vector>

#include "samverka/core/slug.hpp"

namespace samverka::gateway {

namespace {

std::string_view bytes(const unsigned char* p, std::size_t n) {
  return p ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view();
}

// Built once from the generated table; immutable afterwards, so threads share it freely.
const std::vector<static_asset>& table() {
  static const std::vector<static_asset> files = [] {
    std::vector<static_asset> v;
    v.reserve(detail::embedded_file_count);
    for (std::size_t i = 0; i < detail::embedded_file_count; ++i) {
      const auto& f = detail::embedded_files[i];
      v.push_back(
          {f.path, f.content_type, bytes(f.data, f.size), bytes(f.gzip, f.gzip_size), f.etag});
    }
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    return v;
  }();
  return files;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
    s.replace(pos, what.size(), with);
}

// Splits a comma-separated header value into trimmed elements.
std::vector<std::string_view> list_elements(std::string_view v) {
  std::vector<std::string_view> out;
  while (!v.empty()) {
    const auto comma = v.find(',');
    auto item = v.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

std::span<const static_asset> static_assets() {
  return table();
}

const static_asset* find_static_asset(std::string_view path) {
  const auto& t = table();
  auto it = std::lower_bound(t.begin(), t.end(), path,
                             [](const static_asset& a, std::string_view p) { return a.path < p; });
  return it != t.end() && it->path == path ? &*it : nullptr;
}

std::string_view static_assets_version() {
  return detail::embedded_version;
}

std::string render_shell(std::string_view tenant_name, std::string_view base_path) {
  const auto* shell = find_static_asset("index.html");
  if (!shell) return {};
  const std::string base = tenant::html_escape(base_path);
  const std::string assets = base + "/assets/" + std::string(static_assets_version());
  // Every module is announced up front so the browser fetches them in parallel instead of
  // discovering the import graph one round trip at a time (it matters on a slow phone).
  std::string preloads;
  for (const auto& a : table())
    if (a.path.ends_with(".js"))
      preloads +=
          "<link rel=\"modulepreload\" href=\"" + assets + "/" + std::string(a.path) + "\">\n";
  std::string html(shell->body);
  replace_all(html, "{{PRELOADS}}", preloads);
  replace_all(html, "{{ASSETS}}", assets);
  replace_all(html, "{{BASE}}", base);
  replace_all(html, "{{TENANT_NAME}}", tenant::html_escape(tenant_name));
  return html;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  for (auto tag : list_elements(if_none_match)) {
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);  // weak comparison, as RFC 9110 asks
    if (tag == etag) return true;
  }
  return false;
}

bool accepts_gzip(std::string_view accept_encoding) {
  for (auto item : list_elements(accept_encoding)) {
    const auto semi = item.find(';');
    auto coding = item.substr(0, semi);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    if (ascii_lower(coding) != "gzip" && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    auto params = item.substr(semi + 1);
    const auto q = params.find("q=");
    if (q == std::string_view::npos) return true;
    auto value = params.substr(q + 2);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    // q=0, q=0.0, q=0.000: refused; any other weight accepts.
    return value.empty() || value.find_first_not_of("0.") != std::string_view::npos;
  }
  return false;
}

}  // namespace samverka::gateway
