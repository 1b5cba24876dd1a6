// Text of PDF documents for the search index (search_index.hpp), with poppler's C++ library.
//
// Design notes:
//  1. Runs before the document's write transaction (parsing a PDF can take a while and must not
//     hold the tenant's write lock); the text is indexed inside that transaction.
//  2. Bounded: at most max_pdf_pages pages and max_pdf_text_bytes bytes of text; a PDF that
//     cannot be opened, is encrypted, or yields no text gives nullopt and the document is
//     indexed by its title and file name only. Nothing here can fail an upload.
//  3. poppler reports problems of malformed files on stderr by default; they are silenced once
//     per process (a bad upload is not an operator's concern, and stderr carries the request
//     log).
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <memory>
#include <mutex>

#include "search_index.hpp"
#include "utf8.hpp"

namespace samverka::tenant::detail {

namespace {

void quiet(const std::string&, void*) {}

// The first `max` bytes of `s`, cut at a UTF-8 code point boundary.
void clip_utf8(std::string& s, std::size_t max) {
  if (s.size() <= max) return;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  s.resize(n);
}

}  // namespace

std::optional<std::string> pdf_text(const std::filesystem::path& file) {
  static std::once_flag silenced;
  std::call_once(silenced, [] { poppler::set_debug_error_function(&quiet, nullptr); });
  try {
    std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(file.string()));
    if (!doc || doc->is_locked()) return std::nullopt;
    std::string out;
    const int pages = std::min(doc->pages(), max_pdf_pages);
    for (int i = 0; i < pages && out.size() < max_pdf_text_bytes; ++i) {
      std::unique_ptr<poppler::page> p(doc->create_page(i));
      if (!p) continue;
      const auto bytes = p->text().to_utf8();
      out.append(bytes.begin(), bytes.end());
      out += '\n';
    }
    clip_utf8(out, max_pdf_text_bytes);
    // Control characters and broken sequences become spaces: the index takes plain text.
    std::string clean;
    clean.reserve(out.size());
    for (std::size_t i = 0; i < out.size();) {
      const auto d = utf8::decode(out, i);
      if (!d.valid || d.cp < 0x20)
        clean += ' ';
      else
        clean.append(out, i, d.len);
      i += d.len;
    }
    if (clean.find_first_not_of(" \n") == std::string::npos) return std::nullopt;
    return clean;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace samverka::tenant::detail
