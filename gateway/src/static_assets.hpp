// The web front end (web/ in the repository), embedded into the binary at build time by
// gateway/embed_web.cmake, so a deployment serves its UI with no files beside the binary.
//
// URLs: the shell (web/index.html, rendered per tenant) at GET / of a tenant; every other file at
// BASE/assets/VERSION/PATH, where VERSION hashes the whole bundle. A URL therefore never changes
// meaning, which lets browsers cache assets for a year without revalidating; a new build gets new
// URLs through the shell, which itself is never cached.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace samverka::gateway {

// One embedded file.
struct static_asset {
  std::string_view path;          // relative to web/: "app/main.js"
  std::string_view content_type;  // with charset for text
  std::string_view body;
  std::string_view gzip_body;  // the same bytes gzip-compressed; empty when not worth it
  std::string_view etag;       // quoted strong validator derived from the content hash
};

// Every embedded file, sorted by path.
std::span<const static_asset> static_assets();

// The file at `path` (relative to web/), or nullptr.
const static_asset* find_static_asset(std::string_view path);

// The bundle's version, the second segment of every asset URL.
std::string_view static_assets_version();

// The HTML shell for one tenant: names the municipality in <title> and <h1> before any script
// runs and links the assets under `base_path` ("/t/SLUG" or "" for host-addressed tenants).
std::string render_shell(std::string_view tenant_name, std::string_view base_path);

// True when an If-None-Match header value names `etag` (or is "*").
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// True when an Accept-Encoding header value accepts gzip (a q=0 refuses it).
bool accepts_gzip(std::string_view accept_encoding);

namespace detail {

// The generated table's row (web_assets_data.cpp, written by embed_web.cmake).
struct embedded_file {
  const char* path;
  const char* content_type;
  const unsigned char* data;
  std::size_t size;
  const unsigned char* gzip;
  std::size_t gzip_size;
  const char* etag;
};

extern const embedded_file embedded_files[];  // ends with a row whose path is nullptr
extern const std::size_t embedded_file_count;
extern const char embedded_version[];

}  // namespace detail

}  // namespace samverka::gateway
