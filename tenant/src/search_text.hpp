// Private to samverka_tenant: Swedish text handling for full-text search.
//
// One definition of "a word" is shared by the FTS5 tokenizer (which indexes stored text) and by
// the query builder (which turns what a person typed into a MATCH expression), so the two can
// never disagree about where words begin and end.
//
// Design notes:
//  1. Case folding is UTF-8 aware and never strips diacritics: "ÅÄÖ" -> "åäö", "É" -> "é",
//     because in Swedish å, ä and ö are letters of their own ("får" and "far" are different
//     words). FTS5's unicode61 tokenizer folds them to a, a, o by default, which is why we don't
//     use it.
//  2. Stemming is Snowball's Swedish stemmer (libstemmer), so "förvaltningar" and
//     "förvaltningen" both index as "förvaltning". A prefix query term (type-ahead) is folded
//     but not stemmed: a stem of half a word is not a prefix of anything useful.
//  3. The user's query never reaches FTS5 syntax: it is split into words with the same rule as
//     the tokenizer and every word is quoted, so AND/OR/NEAR, quotes, *, ^, :, parentheses and
//     column filters are all plain text. No input can make MATCH fail.
//  4. The tokenizer is registered on every connection of a tenant store (store::impl::borrow,
//     schema::migrate) and, once any store has been opened, on every later SQLite connection of
//     the process (sqlite3_auto_extension), so tools and tests that open a tenant database
//     directly can still write tables whose triggers maintain the index.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace samverka::tenant::search_text {

// Name of the FTS5 tokenizer (CREATE VIRTUAL TABLE ... tokenize='samverka_sv').
inline constexpr const char* tokenizer_name = "samverka_sv";
// Name of the SQL function samverka_html_text(html) -> plain text, used by index triggers.
inline constexpr const char* html_text_function = "samverka_html_text";
// Name of the FTS5 auxiliary function samverka_rank(search_fts): relevance of the current row,
// higher is better. A saturating, column-weighted count of the query's matches in the row
// (bm25's tf part). Unlike bm25() it needs no pass over every match of the query to count
// document frequencies (a full doclist walk per word, ~70,000 entries for a word found almost
// everywhere) and no per-row column-size lookup; queries here are ANDs of words, so every
// candidate holds every word and document frequency would not reorder them much.
inline constexpr const char* rank_function = "samverka_rank";
// Weights of the index's columns in samverka_rank: title, body, extra, kind (schema_search.hpp).
inline constexpr double rank_column_weights[] = {8.0, 1.0, 2.0, 0.0};
// Words longer than this (in bytes) are indexed as their first max_word_bytes bytes: nothing
// real is that long (the longest Swedish dictionary words are ~40 letters), and it bounds the
// stemmer's work on junk such as base64 blobs pasted into a page.
inline constexpr std::size_t max_word_bytes = 64;
// Words of a query used; the rest are ignored. A query is a few words, not a document.
inline constexpr std::size_t max_query_words = 12;

// A word of `text`: byte offsets of its start and end.
struct word_span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

// Splits UTF-8 text into words: runs of letters and digits (ASCII alphanumerics and every code
// point from U+00C0 up, except the punctuation, symbol and space blocks). Invalid UTF-8 bytes
// separate words.
std::vector<word_span> split_words(std::string_view text);

// Lower-cases a word (ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals), keeping
// diacritics: "ÅSA" -> "åsa", "ÉLAN" -> "élan".
std::string fold_case(std::string_view word);

// Folded and stemmed form of a word as the index stores it ("Förvaltningar" -> "förvaltning").
// Not thread-safe across threads for one stemmer; this function uses one per thread.
std::string index_term(std::string_view word);

// A safe FTS5 MATCH expression for what a person typed, or "" if it holds no words.
// Every word becomes a quoted string; with `prefix`, the last word also matches as a prefix
// (type-ahead): ("word" OR "word"*).
std::string match_expression(std::string_view user_query, bool prefix);

// Marks the caller's words in stored text for search snippets, with the same word rule, folding
// and stemming as the index (so it marks what matched): "Förvaltningen" is marked for the query
// "förvaltningar"; in prefix mode any word starting with the last query word is marked too.
// Replaces FTS5's snippet(), which costs a full MATCH per hit (~100 us with many segments).
class highlighter {
 public:
  highlighter(std::string_view user_query, bool prefix);
  // At most `max_words` words of `text` around the most distinct matches, HTML-escaped, with
  // the matched words in <mark>...</mark> and "…" where text was cut; nullopt if nothing in
  // `text` matches.
  std::optional<std::string> snippet(std::string_view text, std::size_t max_words) const;
  // The first `max_words` words of `text`, HTML-escaped, without marks ("…" if cut).
  static std::string lead(std::string_view text, std::size_t max_words);

 private:
  // Index of the query word `word` matches, or -1.
  int match(std::string_view word) const;
  std::vector<std::string> stems_;
  std::string prefix_;  // folded last word in prefix mode, else empty
};

// Registers the tokenizer and the SQL function on `db`. Returns SQLITE_OK or an error code.
int register_on(sqlite3* db);

}  // namespace samverka::tenant::search_text
