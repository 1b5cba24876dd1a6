// Rich-text sanitising: parses untrusted HTML with gumbo (a full HTML5 parser) and re-emits only
// an allowlist of elements and attributes. Stored XSS must be impossible: no scripts, no event
// handlers, no style, no javascript:/data: URLs.
#pragma once

#include <string>
#include <string_view>

namespace samverka::tenant {

// Safe HTML for `untrusted`: allowed elements keep their allowed attributes, disallowed
// elements are dropped but their text kept (script/style/iframe content is dropped whole).
std::string sanitize_html(std::string_view untrusted);

// Appends `s` to `out` with & < > " ' escaped: safe in HTML text and quoted attribute values.
void append_html_escaped(std::string& out, std::string_view s);
std::string html_escape(std::string_view s);

// Plain text of `untrusted` HTML (for titles, summaries and search).
std::string html_to_text(std::string_view untrusted);

}  // namespace samverka::tenant
