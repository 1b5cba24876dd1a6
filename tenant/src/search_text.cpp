// Swedish word splitting, case folding, stemming and the FTS5 tokenizer (see search_text.hpp).
#include "search_text.hpp"

#include <libstemmer.h>

#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>

#include "samverka/tenant/sanitize.hpp"
#include "utf8.hpp"

namespace samverka::tenant::search_text {

using utf8::decode;

namespace {

void encode(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Letters and digits. Below U+00C0 only ASCII alphanumerics count (the rest of Latin-1 there
// is punctuation and symbols); above it, everything but the punctuation, symbol, space and
// emoji blocks, which keeps every script's letters and combining marks without a Unicode table.
bool is_word_cp(std::uint32_t cp) {
  if (cp < 0x80)
    return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  if (cp < 0xc0) return false;
  if (cp == 0xd7 || cp == 0xf7) return false;        // × ÷
  if (cp >= 0x2000 && cp <= 0x2bff) return false;    // punctuation, symbols, arrows
  if (cp >= 0x2e00 && cp <= 0x2e7f) return false;    // supplemental punctuation
  if (cp >= 0x3000 && cp <= 0x303f) return false;    // CJK punctuation
  if (cp >= 0xfe30 && cp <= 0xfe4f) return false;    // CJK compatibility forms
  if (cp >= 0xff00 && cp <= 0xff0f) return false;    // fullwidth punctuation
  if (cp >= 0xfff0 && cp <= 0xffff) return false;    // specials
  if (cp >= 0x1f000 && cp <= 0x1faff) return false;  // emoji and pictographs
  if (cp >= 0xe0000) return false;                   // tags, private use
  return true;
}

std::uint32_t lower(std::uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp < 0xc0) return cp;
  if (cp <= 0xde) return cp == 0xd7 ? cp : cp + 32;  // À..Þ incl. Å Ä Ö É Ü
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
    return (cp % 2 == 0) ? cp + 1 : cp;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
    return (cp % 2 == 1) ? cp + 1 : cp;
  if (cp == 0x178) return 0xff;                                   // Ÿ
  if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2) return cp + 32;  // Greek
  if (cp >= 0x410 && cp <= 0x42f) return cp + 32;                 // Cyrillic А..Я
  if (cp >= 0x400 && cp <= 0x40f) return cp + 80;                 // Cyrillic Ѐ..Џ
  return cp;
}

// The first `max` bytes of `w`, cut at a code point boundary.
std::string_view clip(std::string_view w, std::size_t max) {
  if (w.size() <= max) return w;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(w[n]) & 0xc0) == 0x80) --n;
  return w.substr(0, n);
}

struct stemmer_deleter {
  void operator()(sb_stemmer* s) const noexcept { sb_stemmer_delete(s); }
};
using stemmer_ptr = std::unique_ptr<sb_stemmer, stemmer_deleter>;

stemmer_ptr new_stemmer() {
  return stemmer_ptr(sb_stemmer_new("swedish", "UTF_8"));
}

// Stems a folded word; returns the word itself if the stemmer fails (out of memory).
std::string stem(sb_stemmer* s, const std::string& folded) {
  if (!s) return folded;
  const sb_symbol* out = sb_stemmer_stem(s, reinterpret_cast<const sb_symbol*>(folded.data()),
                                         static_cast<int>(folded.size()));
  if (!out) return folded;
  return std::string(reinterpret_cast<const char*>(out),
                     static_cast<std::size_t>(sb_stemmer_length(s)));
}

// ---- The FTS5 tokenizer -------------------------------------------------------------------------

// One tokenizer instance per FTS5 table per connection; a connection is used by one thread at a
// time, so its stemmer needs no lock.
struct tokenizer {
  stemmer_ptr stemmer = new_stemmer();
};

int tok_create(void*, const char**, int, Fts5Tokenizer** out) {
  auto* t = new (std::nothrow) tokenizer;
  if (!t) return SQLITE_NOMEM;
  if (!t->stemmer) {
    delete t;
    return SQLITE_ERROR;
  }
  *out = reinterpret_cast<Fts5Tokenizer*>(t);
  return SQLITE_OK;
}

void tok_delete(Fts5Tokenizer* p) {
  delete reinterpret_cast<tokenizer*>(p);
}

int tok_tokenize(Fts5Tokenizer* p, void* ctx, int flags, const char* text, int n,
                 int (*emit)(void*, int, const char*, int, int, int)) {
  auto* t = reinterpret_cast<tokenizer*>(p);
  try {
    const std::string_view s(text ? text : "", text ? static_cast<std::size_t>(n) : 0);
    const bool prefix = (flags & FTS5_TOKENIZE_PREFIX) != 0;
    if (flags == FTS5_TOKENIZE_AUX) {
      // Snippets (the only auxiliary use with detail=full) need just where each token is, not
      // its term: one token per word as for the index, without folding or stemming (the
      // stemmer is most of a snippet's cost).
      for (const auto& w : split_words(s)) {
        const int rc = emit(ctx, 0, s.data() + w.begin, static_cast<int>(w.end - w.begin),
                            static_cast<int>(w.begin), static_cast<int>(w.end));
        if (rc != SQLITE_OK) return rc;
      }
      return SQLITE_OK;
    }
    for (const auto& w : split_words(s)) {
      std::string term = fold_case(clip(s.substr(w.begin, w.end - w.begin), max_word_bytes));
      if (!prefix) term = stem(t->stemmer.get(), term);
      if (term.empty()) continue;
      const int rc = emit(ctx, 0, term.data(), static_cast<int>(term.size()),
                          static_cast<int>(w.begin), static_cast<int>(w.end));
      if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
}

void html_text_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_text(ctx, "", 0, nullptr);
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const int n = sqlite3_value_bytes(argv[0]);
  try {
    std::string out = html_to_text(std::string_view(p ? p : "", static_cast<std::size_t>(n)));
    sqlite3_result_text64(ctx, out.data(), out.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const std::exception&) {
    sqlite3_result_error_nomem(ctx);
  }
}

// samverka_rank(search_fts): relevance of the current row, higher is better (see
// search_text.hpp). Reads only the current row's match positions, which FTS5 holds already, so
// unlike bm25() it costs nothing per query and no docsize lookup per row.
void rank_fn(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int,
             sqlite3_value**) {
  int n_inst = 0;
  if (api->xInstCount(fts, &n_inst) != SQLITE_OK) return sqlite3_result_double(ctx, 0.0);
  const int n_phrase = api->xPhraseCount(fts);
  constexpr int max_phrases = 2 * static_cast<int>(max_query_words) + 4;
  double freq[max_phrases] = {};
  for (int i = 0; i < n_inst; ++i) {
    int phrase = 0, col = 0, off = 0;
    if (api->xInst(fts, i, &phrase, &col, &off) != SQLITE_OK) break;
    if (phrase < 0 || phrase >= max_phrases || col < 0) continue;
    freq[phrase] += col < static_cast<int>(std::size(rank_column_weights))
                        ? rank_column_weights[static_cast<std::size_t>(col)]
                        : 0.0;
  }
  // Saturating term frequency (the tf part of bm25): a word's tenth mention adds little.
  constexpr double k1 = 1.2;
  double score = 0.0;
  for (int p = 0; p < n_phrase && p < max_phrases; ++p)
    score += freq[p] * (k1 + 1.0) / (freq[p] + k1);
  sqlite3_result_double(ctx, score);
}

int auto_entry(sqlite3* db, const char**, const sqlite3_api_routines*) {
  return register_on(db);
}

}  // namespace

std::vector<word_span> split_words(std::string_view text) {
  std::vector<word_span> out;
  std::size_t i = 0;
  std::size_t start = std::string_view::npos;
  while (i < text.size()) {
    const auto d = decode(text, i);
    const bool word = d.valid && is_word_cp(d.cp);
    if (word && start == std::string_view::npos) start = i;
    if (!word && start != std::string_view::npos) {
      out.push_back({start, i});
      start = std::string_view::npos;
    }
    i += d.len;
  }
  if (start != std::string_view::npos) out.push_back({start, text.size()});
  return out;
}

std::string fold_case(std::string_view word) {
  std::string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size();) {
    const auto d = decode(word, i);
    if (d.valid)
      encode(lower(d.cp), out);
    else
      out += word[i];
    i += d.len;
  }
  return out;
}

std::string index_term(std::string_view word) {
  thread_local stemmer_ptr s = new_stemmer();
  return stem(s.get(), fold_case(clip(word, max_word_bytes)));
}

std::string match_expression(std::string_view user_query, bool prefix) {
  auto words = split_words(user_query);
  if (words.size() > max_query_words) words.resize(max_query_words);
  std::string out;
  for (std::size_t k = 0; k < words.size(); ++k) {
    // A word holds only letters and digits, so it cannot contain a quote: quoting is enough.
    const std::string q =
        "\"" +
        std::string(clip(user_query.substr(words[k].begin, words[k].end - words[k].begin),
                         max_word_bytes)) +
        "\"";
    // Explicit AND: FTS5 does not accept an implicit AND before a parenthesised group.
    if (!out.empty()) out += " AND ";
    if (prefix && k + 1 == words.size())
      out += "(" + q + " OR " + q + "*)";
    else
      out += q;
  }
  return out;
}

// ---- Snippets ----------------------------------------------------------------------------------

highlighter::highlighter(std::string_view user_query, bool prefix) {
  auto words = split_words(user_query);
  if (words.size() > max_query_words) words.resize(max_query_words);
  for (std::size_t k = 0; k < words.size(); ++k) {
    const auto w =
        clip(user_query.substr(words[k].begin, words[k].end - words[k].begin), max_word_bytes);
    stems_.push_back(index_term(w));
    if (prefix && k + 1 == words.size()) prefix_ = fold_case(w);
  }
}

int highlighter::match(std::string_view word) const {
  const std::string folded = fold_case(clip(word, max_word_bytes));
  if (!prefix_.empty() && folded.starts_with(prefix_)) return static_cast<int>(stems_.size()) - 1;
  std::string stemmed;  // computed at most once, and only for a plausible word
  for (std::size_t i = 0; i < stems_.size(); ++i) {
    // Swedish Snowball stemming only removes endings, so a word's stem is a prefix of the
    // folded word: most words are rejected without running the stemmer.
    if (!folded.starts_with(stems_[i])) continue;
    if (stemmed.empty()) stemmed = index_term(folded);
    if (stemmed == stems_[i]) return static_cast<int>(i);
  }
  return -1;
}

std::optional<std::string> highlighter::snippet(std::string_view text,
                                                std::size_t max_words) const {
  if (stems_.empty() || max_words == 0) return std::nullopt;
  const auto words = split_words(text);
  std::vector<int> hit(words.size(), -1);
  std::vector<std::size_t> at;  // positions of matched words
  for (std::size_t i = 0; i < words.size(); ++i) {
    hit[i] = match(text.substr(words[i].begin, words[i].end - words[i].begin));
    if (hit[i] >= 0) at.push_back(i);
  }
  if (at.empty()) return std::nullopt;
  // The window (starting a little before a match) holding the most distinct query words.
  constexpr std::size_t lead_in = 2;
  std::size_t best = 0, best_score = 0;
  for (const auto p : at) {
    const std::size_t from = p > lead_in ? p - lead_in : 0;
    std::uint64_t seen = 0;
    for (std::size_t i = from; i < words.size() && i < from + max_words; ++i)
      if (hit[i] >= 0) seen |= std::uint64_t{1} << (hit[i] % 64);
    const auto score = static_cast<std::size_t>(__builtin_popcountll(seen));
    if (score > best_score) best = from, best_score = score;
  }
  const std::size_t end = std::min(words.size(), best + max_words);
  std::string out;
  if (best > 0) out += "…";
  std::size_t from = words[best].begin;
  for (std::size_t i = best; i < end; ++i) {
    if (hit[i] < 0) continue;
    append_html_escaped(out, text.substr(from, words[i].begin - from));
    out += "<mark>";
    append_html_escaped(out, text.substr(words[i].begin, words[i].end - words[i].begin));
    out += "</mark>";
    from = words[i].end;
  }
  append_html_escaped(out, text.substr(from, words[end - 1].end - from));
  if (end < words.size()) out += "…";
  return out;
}

std::string highlighter::lead(std::string_view text, std::size_t max_words) {
  const auto words = split_words(text);
  std::string out;
  if (words.empty() || max_words == 0) return out;
  const std::size_t end = std::min(words.size(), max_words);
  append_html_escaped(out, text.substr(words[0].begin, words[end - 1].end - words[0].begin));
  if (end < words.size()) out += "…";
  return out;
}

int register_on(sqlite3* db) {
  // Later connections of the process get the tokenizer too (see design note 4).
  static std::once_flag auto_once;
  std::call_once(auto_once,
                 [] { sqlite3_auto_extension(reinterpret_cast<void (*)()>(&auto_entry)); });

  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr);
  if (rc != SQLITE_OK) return rc;
  sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(st);
  rc = sqlite3_finalize(st);
  if (rc != SQLITE_OK) return rc;
  if (!api || api->iVersion < 2) return SQLITE_ERROR;

  void* existing_ctx = nullptr;
  fts5_tokenizer existing{};
  if (api->xFindTokenizer(api, tokenizer_name, &existing_ctx, &existing) != SQLITE_OK) {
    fts5_tokenizer tok{tok_create, tok_delete, tok_tokenize};
    rc = api->xCreateTokenizer(api, tokenizer_name, nullptr, &tok, nullptr);
    if (rc != SQLITE_OK) return rc;
    // First registration on this connection (FTS5 has no lookup for functions).
    rc = api->xCreateFunction(api, rank_function, nullptr, &rank_fn, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  return sqlite3_create_function_v2(db, html_text_function, 1,
                                    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                    html_text_fn, nullptr, nullptr, nullptr);
}

}  // namespace samverka::tenant::search_text
