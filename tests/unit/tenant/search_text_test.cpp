// Tests of search_text.hpp: Swedish case folding and stemming, word splitting, and that no user
// query can make an FTS5 MATCH fail.
#include "search_text.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <vector>

namespace samverka::tenant::search_text {
namespace {

struct fold_case_row {
  std::string in, out;
};

TEST(SearchText, FoldsCaseKeepingSwedishLetters) {
  const fold_case_row rows[] = {
      {"ÅÄÖ", "åäö"},
      {"åäö", "åäö"},
      {"Förvaltning", "förvaltning"},
      {"ÉLAN", "élan"},
      {"MiXeD CaSe", "mixed case"},
      {"Ü", "ü"},
      {"ÆØ", "æø"},
      {"Ÿ", "ÿ"},
      {"ŁÓDŹ", "łódź"},
      {"ЖУК", "жук"},
      {"123", "123"},
      {"", ""},
  };
  for (const auto& r : rows) EXPECT_EQ(fold_case(r.in), r.out) << r.in;
}

struct term_row {
  std::string a, b;  // must index as the same term
};

TEST(SearchText, StemsSwedishInflectionsToOneTerm) {
  const term_row same[] = {
      {"förvaltningar", "förvaltningen"},
      {"Förvaltningar", "FÖRVALTNINGEN"},
      {"förvaltning", "förvaltningarna"},
      {"kommunerna", "kommuner"},
      {"tjänsteresa", "tjänsteresor"},
      {"inköpen", "inköp"},
      {"skolorna", "skolor"},
      {"Hemtjänsten", "hemtjänst"},
  };
  for (const auto& r : same) EXPECT_EQ(index_term(r.a), index_term(r.b)) << r.a << " / " << r.b;
  // å, ä and ö are letters: "får" (sheep/gets) and "far" (father) stay apart.
  EXPECT_NE(index_term("får"), index_term("far"));
  EXPECT_NE(index_term("Åsa"), index_term("Asa"));
  EXPECT_EQ(index_term("ÅSA"), index_term("åsa"));
}

TEST(SearchText, SplitsWordsOnPunctuationAndSymbols) {
  const std::string text = "Hur beställer jag en tjänsteresa? «Inköp»–policy, v2.0 — e-post";
  std::vector<std::string> words;
  for (const auto& w : split_words(text)) words.push_back(text.substr(w.begin, w.end - w.begin));
  const std::vector<std::string> want = {"Hur",    "beställer", "jag", "en", "tjänsteresa", "Inköp",
                                         "policy", "v2",        "0",   "e",  "post"};
  EXPECT_EQ(words, want);
}

TEST(SearchText, InvalidUtf8SeparatesWords) {
  const std::string text =
      "ab\xff"
      "cd\xc3";
  ASSERT_EQ(split_words(text).size(), 2u);
}

TEST(SearchText, MatchExpressionQuotesEveryWord) {
  EXPECT_EQ(match_expression("förvaltningar", false), "\"förvaltningar\"");
  EXPECT_EQ(match_expression("a OR b", false), "\"a\" AND \"OR\" AND \"b\"");
  EXPECT_EQ(match_expression("  \"*^:()  ", false), "");
  EXPECT_EQ(match_expression("förv", true), "(\"förv\" OR \"förv\"*)");
  EXPECT_EQ(match_expression("inköp förv", true), "\"inköp\" AND (\"förv\" OR \"förv\"*)");
}

// A real FTS5 table with the tokenizer: every query must run, and Swedish matching must work.
class SearchFts : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    ASSERT_EQ(register_on(db_), SQLITE_OK);
    exec("CREATE VIRTUAL TABLE t USING fts5(title, body, tokenize = 'samverka_sv')");
    exec(
        "INSERT INTO t(rowid, title, body) VALUES"
        " (1, 'Förvaltningen informerar', 'Nytt om inköp och tjänsteresor'),"
        " (2, 'Fåren på ängen', 'Gården har får'),"
        " (3, 'Far och son', 'Om föräldraledighet')");
  }
  void TearDown() override { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  }
  // Row ids matching what a person typed; -1 in the result if MATCH failed.
  std::vector<int> find(const std::string& typed, bool prefix = false) {
    std::vector<int> out;
    const auto expr = match_expression(typed, prefix);
    if (expr.empty()) return out;
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, "SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid", -1,
                                 &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(st, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(sqlite3_column_int(st, 0));
    if (rc != SQLITE_DONE) out.push_back(-1);
    sqlite3_finalize(st);
    return out;
  }
  sqlite3* db_ = nullptr;
};

TEST_F(SearchFts, FindsInflectedSwedishWords) {
  EXPECT_EQ(find("förvaltningar"), std::vector<int>{1});
  EXPECT_EQ(find("FÖRVALTNINGEN"), std::vector<int>{1});
  EXPECT_EQ(find("tjänsteresa"), std::vector<int>{1});
  EXPECT_EQ(find("får"), std::vector<int>{2});
  EXPECT_EQ(find("far"), std::vector<int>{3});
  EXPECT_EQ(find("inköp tjänsteresor"), std::vector<int>{1});
}

TEST_F(SearchFts, PrefixModeMatchesTheLastWordAsAPrefix) {
  EXPECT_EQ(find("förvalt", true), std::vector<int>{1});
  EXPECT_EQ(find("förvaltningar", true), std::vector<int>{1});
  EXPECT_EQ(find("förvalt", false), std::vector<int>{});
  EXPECT_EQ(find("inköp tjä", true), std::vector<int>{1});
}

TEST_F(SearchFts, NoQueryTextMakesMatchFail) {
  const std::vector<std::string> nasty = {
      "\"",       "\"\"",  "*",     "^",        ":",          "(",         ")",       "()",
      "AND",      "OR",    "NOT",   "NEAR",     "NEAR(a b)",  "a NOT b",   "title:x", "{title}: x",
      "-x",       "+x",    "x*",    "\"a\" OR", "a AND OR b", "'; DROP x", "\\",      "\x01\x02",
      "\xff\xfe", "ö*^\"", "a:b:c", "NEAR/2",   "x)(y",       "åäö OR (",  "{",       "}",
      "[",        "]",     ".",     ",",
  };
  for (const auto& q : nasty) {
    for (bool prefix : {false, true}) {
      const auto ids = find(q, prefix);
      EXPECT_TRUE(std::find(ids.begin(), ids.end(), -1) == ids.end())
          << "MATCH failed for " << q << " -> " << match_expression(q, prefix);
    }
  }
  // Every printable ASCII character alone and around a word.
  for (int c = 1; c < 128; ++c) {
    const std::string q = std::string(1, static_cast<char>(c)) + "får" + static_cast<char>(c);
    const auto ids = find(q);
    EXPECT_TRUE(std::find(ids.begin(), ids.end(), -1) == ids.end()) << c;
  }
}

TEST_F(SearchFts, HtmlTextFunctionStripsTags) {
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_, "SELECT samverka_html_text('<p>Hej <b>då</b></p>')", -1, &st,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const std::string text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  EXPECT_NE(text.find("Hej"), std::string::npos);
  EXPECT_NE(text.find("då"), std::string::npos);
  EXPECT_EQ(text.find('<'), std::string::npos);
}

// ---- Ranking and snippets ----------------------------------------------------------------------

TEST_F(SearchFts, RankPrefersTitleMatchesAndCountsEveryWord) {
  exec(
      "INSERT INTO t(rowid, title, body) VALUES"
      " (10, 'Semester', 'Ansök i god tid'),"
      " (11, 'Ledighet', 'Semester och semesterväxling, semester igen')");
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_,
                               "SELECT rowid FROM t WHERE t MATCH ?1"
                               " ORDER BY samverka_rank(t) DESC",
                               -1, &st, nullptr),
            SQLITE_OK);
  const auto expr = match_expression("semester", false);
  sqlite3_bind_text(st, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
  std::vector<int> order;
  while (sqlite3_step(st) == SQLITE_ROW) order.push_back(sqlite3_column_int(st, 0));
  sqlite3_finalize(st);
  EXPECT_EQ(order, (std::vector<int>{10, 11}));  // title weight 8 beats three body mentions
}

TEST_F(SearchFts, AuxiliaryTokenizingKeepsFts5HighlightsAligned) {
  // highlight() tokenizes with FTS5_TOKENIZE_AUX, which skips stemming: positions must agree.
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db_, "SELECT highlight(t, 1, '[', ']') FROM t WHERE t MATCH ?1", -1,
                               &st, nullptr),
            SQLITE_OK);
  const auto expr = match_expression("tjänsteresa", false);
  sqlite3_bind_text(st, 1, expr.data(), static_cast<int>(expr.size()), SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const std::string text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  EXPECT_EQ(text, "Nytt om inköp och [tjänsteresor]");
}

TEST(SearchText, HighlighterMarksInflectionsAndEscapes) {
  const highlighter h("Förvaltningar <b>", false);
  auto s = h.snippet("Om förvaltningen & <script>: FÖRVALTNINGENS nya rutiner", 14);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s,
            "Om <mark>förvaltningen</mark> &amp; &lt;script&gt;: "
            "<mark>FÖRVALTNINGENS</mark> nya rutiner")
      << *s;
  EXPECT_FALSE(h.snippet("Inget här", 14));
}

TEST(SearchText, HighlighterPrefixModeAndWindow) {
  const highlighter h("budget förv", true);
  std::string text;
  for (int i = 0; i < 30; ++i) text += "ord" + std::to_string(i) + " ";
  text += "budget för förvaltningen";
  auto s = h.snippet(text, 6);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "…ord28 ord29 <mark>budget</mark> för <mark>förvaltningen</mark>") << *s;
  EXPECT_EQ(highlighter::lead("a b c", 2), "a b…");
  EXPECT_EQ(highlighter::lead("a <b> c", 5), "a &lt;b&gt; c");
}

}  // namespace
}  // namespace samverka::tenant::search_text
