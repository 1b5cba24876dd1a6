// Rich-text sanitising: untrusted HTML in, allowlisted HTML (or plain text) out.
//
// Design notes
//  1. One pass has three stages: token_normaliser rewrites the input into a canonical token
//     stream, gumbo builds the HTML5 tree from it, and an iterative walk re-emits only the
//     allowlist (safe_html_writer) or the text (text_writer). The walk is the security boundary:
//     only allowlisted elements and attributes are emitted, URLs are scheme-checked after
//     gumbo decoded them, and every text and attribute value is escaped. The stages before it
//     can lose or keep text, never produce markup the walk did not allow.
//  2. Why normalise before gumbo: gumbo 0.10.1 has no depth limit and its tree builder costs
//     O(open elements) per token (scope checks per tag; a membership scan per character while a
//     formatting element is open), and re-opening misnested formatting elements can build
//     O(n^2) nodes. Measured: 50,000 nested <div> (250 KB) take 3.4 s; 6 KB of misnested <b>
//     build 90,000 nodes. The normaliser models gumbo's stack of open elements and drops start
//     tags that would nest deeper than max_parse_depth (their text joins the enclosing element).
//  3. Why that model can be trusted: the normaliser emits only what gumbo's tokenizer reads in its
//     data state (text with '<' escaped, tags whose attribute values are double-quoted with '<',
//     '>' and '"' escaped), so gumbo sees exactly the tokens the model saw. Comments, doctypes,
//     raw-text elements (script, style, textarea, title, iframe, noscript, noembed, noframes), svg
//     and math are removed whole there, since each would switch gumbo into another tokenizer
//     state; xmp and plaintext become escaped text. The model pushes every non-void start tag
//     and pops only on an end tag naming the top element, so it may overestimate gumbo's depth
//     (unclosed <h2>, say). It falls short only by elements the tree builder adds by itself
//     (implied tbody and tr, re-opened formatting elements), each tied to an element it counts.
//  4. Serialised HTML does not always re-parse to the same tree (foster parenting moves text out
//     of tables; an <li> unwrapped from a <section> becomes a sibling). sanitize_html therefore
//     re-sanitises its output until it is stable (at most max_passes), so what we store is a fixed
//     point: sanitising it again changes nothing. Cost: one extra parse of the already clean
//     output in the common case.
//  5. Depth in the output: allowed elements nested deeper than max_output_depth are flattened
//     (their tags are dropped, their text kept); the walk itself uses an explicit stack.
#include "samverka/tenant/sanitize.hpp"

#include <gumbo.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace samverka::tenant {

// Escapes the five characters that can end or open markup in text or a quoted attribute value.
void append_html_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  append_html_escaped(out, s);
  return out;
}

namespace {

using namespace std::string_view_literals;

// Elements gumbo may hold open at once (the normaliser's model, note 2). gumbo's cost per token
// grows with it; at 256, hostile 1 MiB inputs (deep nesting, misnested formatting, text under a
// deep stack) sanitise in under half a second, like ordinary ones. Real bodies nest far less.
constexpr std::size_t max_parse_depth = 256;
// Allowed elements nested deeper than this lose their tags in the output (text kept): no news
// body needs it, and browsers and editors handle such nesting badly.
constexpr std::size_t max_output_depth = 200;
// Re-sanitising passes before giving up on a fixed point (note 4). In random tag soup 97% of
// outputs are stable after the first pass and the rest after the second.
constexpr int max_passes = 4;
// colspan/rowspan ceiling: HTML itself clamps colspan at 1000; more only distorts the layout.
constexpr unsigned long max_span = 1000;
// img width/height ceiling in CSS pixels: wider than any screen the intranet is read on.
constexpr unsigned long max_image_dimension = 10000;

// ---------------------------------------------------------------------------------------------
// Character and name helpers.

bool is_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// HTML's whitespace between tokens inside a tag (CR included: the input stream turns it into LF).
bool is_html_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

bool one_of(std::string_view name, std::span<const std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool iequals_prefix(std::string_view text, std::size_t at, std::string_view lower_prefix) {
  if (text.size() - std::min(at, text.size()) < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if (ascii_lower(text[at + i]) != lower_prefix[i]) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Stage 1: token_normaliser (notes 2 and 3).

// Elements without content or end tag: they never stay open.
constexpr std::array void_elements = {"area"sv,  "base"sv,   "basefont"sv, "bgsound"sv, "br"sv,
                                      "col"sv,   "embed"sv,  "frame"sv,    "hr"sv,      "image"sv,
                                      "img"sv,   "input"sv,  "keygen"sv,   "link"sv,    "meta"sv,
                                      "param"sv, "source"sv, "track"sv,    "wbr"sv};
// A start tag of one of these closes an open element of the same name at the top of the stack,
// so repeating it ("<p>a<p>b", "<li>x<li>y") does not nest.
constexpr std::array sibling_closing_elements = {"p"sv,  "li"sv, "dd"sv, "dt"sv,
                                                 "td"sv, "th"sv, "tr"sv};
// Raw-text and RCDATA elements whose content the walk would drop anyway: removed whole here.
constexpr std::array dropped_raw_text_elements = {"script"sv,  "style"sv,   "textarea"sv,
                                                  "title"sv,   "iframe"sv,  "noscript"sv,
                                                  "noembed"sv, "noframes"sv};
// The only attribute names the walk may emit; the normaliser forwards nothing else.
constexpr std::array forwarded_attributes = {"href"sv,  "title"sv,  "src"sv,     "alt"sv,
                                             "width"sv, "height"sv, "colspan"sv, "rowspan"sv};

// A tag as the HTML tokenizer reads it; attribute values keep their source text (gumbo decodes
// character references later).
struct raw_tag {
  bool end = false;
  bool self_closing = false;
  std::string name;  // ASCII-lowercased
  std::vector<std::pair<std::string, std::string_view>> attributes;
};

// Tag names we forward to gumbo: what allowlisted and ordinary custom elements use. Others
// (`<a.b>`, `<x"y>`) would only become unknown elements that the walk unwraps anyway.
bool forwardable_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

class token_normaliser {
 public:
  explicit token_normaliser(std::string_view in) : in_(in) {}

  // The canonical token stream for gumbo (notes 2 and 3).
  std::string run() {
    out_.reserve(in_.size() + in_.size() / 8);
    while (pos_ < in_.size()) {
      const std::size_t lt = in_.find('<', pos_);
      if (lt == std::string_view::npos) {
        out_.append(in_.substr(pos_));
        break;
      }
      out_.append(in_.substr(pos_, lt - pos_));
      pos_ = lt;
      if (starts_tag()) {
        std::optional<raw_tag> tag = read_tag();
        if (!tag) break;  // end of input inside a tag: the tokenizer drops the tag
        handle(*tag);
      } else if (peek(1) == '/' && peek(2) == '>') {
        pos_ += 3;  // "</>" is ignored
      } else if (peek(1) == '/' && pos_ + 2 < in_.size()) {
        skip_past_gt();  // "</" + non-letter: a bogus comment
      } else if (peek(1) == '!' && iequals_prefix(in_, pos_, "<!--")) {
        skip_comment();
      } else if (peek(1) == '!' || peek(1) == '?') {
        skip_past_gt();  // doctype, CDATA outside foreign content, processing instruction
      } else {
        out_ += "&lt;";  // a '<' that starts no markup is text
        ++pos_;
      }
    }
    return std::move(out_);
  }

 private:
  // The character `ahead` places after pos_, or '\0' past the end.
  char peek(std::size_t ahead) const {
    return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0';
  }

  // At '<': does a start tag ("<a") or end tag ("</a") begin here?
  bool starts_tag() const {
    return is_ascii_alpha(peek(1)) || (peek(1) == '/' && is_ascii_alpha(peek(2)));
  }

  void skip_spaces() {
    while (pos_ < in_.size() && is_html_space(in_[pos_])) ++pos_;
  }

  // Reads the tag at pos_ (where starts_tag() holds) like the HTML tokenizer, quotes included;
  // nullopt if the input ends inside it.
  std::optional<raw_tag> read_tag() {
    raw_tag tag;
    ++pos_;
    if (in_[pos_] == '/') {
      tag.end = true;
      ++pos_;
    }
    while (pos_ < in_.size() && !is_html_space(in_[pos_]) && in_[pos_] != '/' && in_[pos_] != '>') {
      tag.name += ascii_lower(in_[pos_++]);
    }
    for (;;) {
      while (pos_ < in_.size() && (is_html_space(in_[pos_]) || in_[pos_] == '/')) {
        if (in_[pos_] == '/' && peek(1) == '>') tag.self_closing = true;
        ++pos_;
      }
      if (pos_ >= in_.size()) return std::nullopt;
      if (in_[pos_] == '>') {
        ++pos_;
        return tag;
      }
      // An attribute name; its first character may be anything, even '='.
      std::string name(1, ascii_lower(in_[pos_++]));
      while (pos_ < in_.size() && !is_html_space(in_[pos_]) && in_[pos_] != '/' &&
             in_[pos_] != '>' && in_[pos_] != '=') {
        name += ascii_lower(in_[pos_++]);
      }
      skip_spaces();
      std::string_view value;
      if (pos_ < in_.size() && in_[pos_] == '=') {
        ++pos_;
        skip_spaces();
        if (pos_ >= in_.size()) return std::nullopt;
        const char quote = in_[pos_];
        if (quote == '"' || quote == '\'') {
          const std::size_t close = in_.find(quote, pos_ + 1);
          if (close == std::string_view::npos) {
            pos_ = in_.size();
            return std::nullopt;
          }
          value = in_.substr(pos_ + 1, close - pos_ - 1);
          pos_ = close + 1;
        } else {
          const std::size_t start = pos_;
          while (pos_ < in_.size() && !is_html_space(in_[pos_]) && in_[pos_] != '>') ++pos_;
          value = in_.substr(start, pos_ - start);
        }
      }
      tag.attributes.emplace_back(std::move(name), value);
    }
  }

  void handle(const raw_tag& tag) {
    if (tag.end) {
      close(tag);
    } else if (one_of(tag.name, dropped_raw_text_elements)) {
      pos_ = raw_text_end(tag.name);
      skip_end_tag();
    } else if (tag.name == "xmp") {
      const std::size_t end = raw_text_end(tag.name);
      append_html_escaped(out_, in_.substr(pos_, end - pos_));
      pos_ = end;
      skip_end_tag();
    } else if (tag.name == "plaintext") {
      append_html_escaped(out_, in_.substr(pos_));  // everything after <plaintext> is text
      pos_ = in_.size();
    } else if (tag.name == "svg" || tag.name == "math") {
      if (!tag.self_closing) skip_foreign(tag.name);
    } else {
      open(tag);
    }
  }

  // Where the raw text of element `name` starting at pos_ ends: at its "</name" end tag, or at
  // the end of the input.
  std::size_t raw_text_end(std::string_view name) const {
    for (std::size_t at = in_.find("</", pos_); at != std::string_view::npos;
         at = in_.find("</", at + 1)) {
      const std::size_t after = at + 2 + name.size();
      if (iequals_prefix(in_, at + 2, name) && (after >= in_.size() || is_html_space(in_[after]) ||
                                                in_[after] == '/' || in_[after] == '>')) {
        return at;
      }
    }
    return in_.size();
  }

  // Consumes the end tag at pos_, if any, without forwarding it.
  void skip_end_tag() {
    if (pos_ < in_.size() && starts_tag() && !read_tag()) pos_ = in_.size();
  }

  // Skips an svg or math subtree whose start tag was just read: the walk drops foreign content
  // whole, and inside it CDATA sections and self-closing tags follow other tokenizer rules.
  void skip_foreign(std::string_view name) {
    std::size_t depth = 1;
    while (depth > 0) {
      const std::size_t lt = in_.find('<', pos_);
      if (lt == std::string_view::npos) {
        pos_ = in_.size();
        return;
      }
      pos_ = lt;
      if (starts_tag()) {
        std::optional<raw_tag> tag = read_tag();
        if (!tag) return;
        if (tag->name != name) continue;
        if (tag->end) {
          --depth;
        } else if (!tag->self_closing) {
          ++depth;
        }
      } else if (iequals_prefix(in_, pos_, "<!--")) {
        skip_comment();
      } else if (in_.substr(pos_).starts_with("<![CDATA[")) {
        const std::size_t end = in_.find("]]>", pos_);
        pos_ = end == std::string_view::npos ? in_.size() : end + 3;
      } else if (peek(1) == '!' || peek(1) == '?' || peek(1) == '/') {
        skip_past_gt();
      } else {
        ++pos_;
      }
    }
  }

  // Skips a comment at "<!--": it ends at "-->", "--!>", or abruptly at "<!-->" / "<!--->".
  void skip_comment() {
    pos_ += 4;
    if (peek(0) == '>') {
      ++pos_;
      return;
    }
    if (peek(0) == '-' && peek(1) == '>') {
      pos_ += 2;
      return;
    }
    const std::size_t dash = in_.find("-->", pos_);
    const std::size_t bang = in_.find("--!>", pos_);
    if (dash == std::string_view::npos && bang == std::string_view::npos) {
      pos_ = in_.size();
    } else if (dash <= bang) {  // npos compares greater than any position
      pos_ = dash + 3;
    } else {
      pos_ = bang + 4;
    }
  }

  // Skips a bogus comment or doctype: everything up to the next '>'.
  void skip_past_gt() {
    const std::size_t gt = in_.find('>', pos_ + 1);
    pos_ = gt == std::string_view::npos ? in_.size() : gt + 1;
  }

  void open(const raw_tag& tag) {
    if (!forwardable_name(tag.name)) return;
    const bool stays_open =
        !one_of(tag.name, void_elements) &&
        !(!open_.empty() && open_.back() == tag.name && one_of(tag.name, sibling_closing_elements));
    if (stays_open) {
      if (open_.size() >= max_parse_depth) return;  // too deep: its content joins the parent
      open_.push_back(tag.name);
    }
    out_ += '<';
    out_ += tag.name;
    for (const auto& [name, value] : tag.attributes) {
      if (!one_of(name, forwarded_attributes)) continue;
      out_ += ' ';
      out_ += name;
      out_ += "=\"";
      for (char c : value) {  // '&' stays: gumbo decodes character references in the value
        switch (c) {
          case '"':
            out_ += "&quot;";
            break;
          case '<':
            out_ += "&lt;";
            break;
          case '>':
            out_ += "&gt;";
            break;
          default:
            out_ += c;
        }
      }
      out_ += '"';
    }
    out_ += '>';
  }

  void close(const raw_tag& tag) {
    if (!forwardable_name(tag.name)) return;
    if (!open_.empty() && open_.back() == tag.name) open_.pop_back();
    out_ += "</";
    out_ += tag.name;
    out_ += '>';
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::string out_;
  std::vector<std::string> open_;  // model of gumbo's stack of open elements
};

// ---------------------------------------------------------------------------------------------
// Stage 2: gumbo.

// Owns the canonical source and gumbo's tree of it (the tree points into the source).
class parsed_fragment {
 public:
  explicit parsed_fragment(std::string_view untrusted)
      : source_(token_normaliser(untrusted).run()),
        output_(gumbo_parse_with_options(&options(), source_.data(), source_.size())) {}
  ~parsed_fragment() { gumbo_destroy_output(&options(), output_); }
  parsed_fragment(const parsed_fragment&) = delete;
  parsed_fragment& operator=(const parsed_fragment&) = delete;

  // The fragment's top-level nodes: gumbo puts them under a synthetic <html> root.
  const GumboVector& nodes() const { return output_->root->v.element.children; }

 private:
  // Parsed as the content of a <div>, as a browser parses innerHTML; parse errors are not kept.
  static const GumboOptions& options() {
    static const GumboOptions opts = [] {
      GumboOptions o = kGumboDefaultOptions;
      o.fragment_context = GUMBO_TAG_DIV;
      o.fragment_namespace = GUMBO_NAMESPACE_HTML;
      o.max_errors = 0;
      return o;
    }();
    return opts;
  }

  std::string source_;
  GumboOutput* output_;
};

// ---------------------------------------------------------------------------------------------
// Stage 3: the walk.

// Visits nodes depth-first with an explicit stack, so no input depth can exhaust the call stack.
// visitor.enter(node) returns whether to visit the node's children; visitor.leave(node) follows
// for each node entered that way.
template <typename Visitor>
void walk(const GumboVector& nodes, Visitor& visitor) {
  struct frame {
    const GumboVector* children;
    unsigned next;
    const GumboNode* node;
  };
  std::vector<frame> stack{{&nodes, 0, nullptr}};
  while (!stack.empty()) {
    frame& top = stack.back();
    if (top.next == top.children->length) {
      if (top.node != nullptr) visitor.leave(*top.node);
      stack.pop_back();
      continue;
    }
    const auto& child = *static_cast<const GumboNode*>(top.children->data[top.next++]);
    if (visitor.enter(child)) stack.push_back({&child.v.element.children, 0, &child});
  }
}

enum class policy {
  keep,    // emitted with its allowed attributes
  unwrap,  // tag dropped, children kept
  drop,    // dropped with everything inside
};

// The allowlist of elements (tfoot is emitted as tbody, keeping the table's structure).
constexpr std::array allowed_elements = {
    GUMBO_TAG_P,          GUMBO_TAG_BR,    GUMBO_TAG_STRONG,     GUMBO_TAG_B,     GUMBO_TAG_EM,
    GUMBO_TAG_I,          GUMBO_TAG_U,     GUMBO_TAG_S,          GUMBO_TAG_SUB,   GUMBO_TAG_SUP,
    GUMBO_TAG_A,          GUMBO_TAG_UL,    GUMBO_TAG_OL,         GUMBO_TAG_LI,    GUMBO_TAG_H2,
    GUMBO_TAG_H3,         GUMBO_TAG_H4,    GUMBO_TAG_BLOCKQUOTE, GUMBO_TAG_CODE,  GUMBO_TAG_PRE,
    GUMBO_TAG_HR,         GUMBO_TAG_TABLE, GUMBO_TAG_THEAD,      GUMBO_TAG_TBODY, GUMBO_TAG_TFOOT,
    GUMBO_TAG_TR,         GUMBO_TAG_TH,    GUMBO_TAG_TD,         GUMBO_TAG_IMG,   GUMBO_TAG_FIGURE,
    GUMBO_TAG_FIGCAPTION, GUMBO_TAG_SPAN};
// Dropped with everything inside: active content, document metadata and form controls, whose
// text is not article text. Other elements are unwrapped.
constexpr std::array dropped_elements = {
    GUMBO_TAG_SCRIPT,  GUMBO_TAG_STYLE,    GUMBO_TAG_IFRAME,   GUMBO_TAG_OBJECT,
    GUMBO_TAG_EMBED,   GUMBO_TAG_APPLET,   GUMBO_TAG_TEMPLATE, GUMBO_TAG_NOSCRIPT,
    GUMBO_TAG_NOEMBED, GUMBO_TAG_NOFRAMES, GUMBO_TAG_FRAMESET, GUMBO_TAG_FRAME,
    GUMBO_TAG_SVG,     GUMBO_TAG_MATH,     GUMBO_TAG_FORM,     GUMBO_TAG_INPUT,
    GUMBO_TAG_BUTTON,  GUMBO_TAG_SELECT,   GUMBO_TAG_TEXTAREA, GUMBO_TAG_DATALIST,
    GUMBO_TAG_KEYGEN,  GUMBO_TAG_HEAD,     GUMBO_TAG_TITLE,    GUMBO_TAG_META,
    GUMBO_TAG_LINK,    GUMBO_TAG_BASE,     GUMBO_TAG_PARAM,    GUMBO_TAG_SOURCE,
    GUMBO_TAG_TRACK,   GUMBO_TAG_COLGROUP, GUMBO_TAG_COL};
// Elements html_to_text separates from their surroundings by a line break.
constexpr std::array block_elements = {
    GUMBO_TAG_ADDRESS, GUMBO_TAG_ARTICLE,  GUMBO_TAG_ASIDE,      GUMBO_TAG_BLOCKQUOTE,
    GUMBO_TAG_BR,      GUMBO_TAG_CAPTION,  GUMBO_TAG_CENTER,     GUMBO_TAG_DD,
    GUMBO_TAG_DETAILS, GUMBO_TAG_DIR,      GUMBO_TAG_DIV,        GUMBO_TAG_DL,
    GUMBO_TAG_DT,      GUMBO_TAG_FIELDSET, GUMBO_TAG_FIGCAPTION, GUMBO_TAG_FIGURE,
    GUMBO_TAG_FOOTER,  GUMBO_TAG_H1,       GUMBO_TAG_H2,         GUMBO_TAG_H3,
    GUMBO_TAG_H4,      GUMBO_TAG_H5,       GUMBO_TAG_H6,         GUMBO_TAG_HEADER,
    GUMBO_TAG_HGROUP,  GUMBO_TAG_HR,       GUMBO_TAG_LEGEND,     GUMBO_TAG_LI,
    GUMBO_TAG_LISTING, GUMBO_TAG_MAIN,     GUMBO_TAG_MENU,       GUMBO_TAG_NAV,
    GUMBO_TAG_OL,      GUMBO_TAG_P,        GUMBO_TAG_PRE,        GUMBO_TAG_SECTION,
    GUMBO_TAG_SUMMARY, GUMBO_TAG_TABLE,    GUMBO_TAG_TBODY,      GUMBO_TAG_TFOOT,
    GUMBO_TAG_THEAD,   GUMBO_TAG_TR,       GUMBO_TAG_UL};

template <std::size_t N>
bool one_of(GumboTag tag, const std::array<GumboTag, N>& tags) {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

policy policy_of(const GumboElement& element) {
  if (element.tag_namespace != GUMBO_NAMESPACE_HTML) return policy::drop;  // svg, MathML
  if (one_of(element.tag, allowed_elements)) return policy::keep;
  if (one_of(element.tag, dropped_elements)) return policy::drop;
  return policy::unwrap;
}

// URL schemes a link may use; anything else with a scheme (javascript:, data:, vbscript:,
// file:) loses the attribute.
constexpr std::array link_schemes = {"http"sv, "https"sv, "mailto"sv, "tel"sv};
// Image sources: web URLs only (a data: URL can carry SVG with script).
constexpr std::array image_schemes = {"http"sv, "https"sv};

// True if `url` is relative (path, query, fragment, "//host") or its scheme is in `schemes`.
// Checked on the decoded value with all ASCII whitespace and control characters removed, since
// browsers ignore some of them ("jav&#x09;ascript:"); comparing case-insensitively.
bool url_allowed(std::string_view url, std::span<const std::string_view> schemes) {
  std::string cleaned;
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u != 0x7f) cleaned += ascii_lower(c);
  }
  const std::size_t end = cleaned.find_first_of(":/?#");
  if (end == std::string::npos || cleaned[end] != ':') return true;  // no scheme: relative
  return one_of(std::string_view(cleaned).substr(0, end), schemes);
}

// The URL as emitted: trimmed of the leading and trailing whitespace and control characters
// browsers strip anyway.
std::string_view trimmed_url(std::string_view url) {
  const auto strip = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
  while (!url.empty() && strip(url.front())) url.remove_prefix(1);
  while (!url.empty() && strip(url.back())) url.remove_suffix(1);
  return url;
}

// The value of a numeric attribute: only plain digits for a number in [1, max].
std::optional<unsigned long> bounded_number(std::string_view value, unsigned long max) {
  if (value.empty() || value.size() > 6) return std::nullopt;
  unsigned long n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned long>(c - '0');
  }
  if (n < 1 || n > max) return std::nullopt;
  return n;
}

// Emits the allowlist (see the header and policy_of) as well-formed HTML.
class safe_html_writer {
 public:
  bool enter(const GumboNode& node) {
    switch (node.type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
        text(node.v.text.text);
        return false;
      case GUMBO_NODE_ELEMENT:
        break;
      default:  // comments; CDATA and templates, which only foreign and dropped content hold
        return false;
    }
    const GumboElement& element = node.v.element;
    switch (policy_of(element)) {
      case policy::drop:
        return false;
      case policy::unwrap:
        closers_.push_back(nullptr);
        return true;
      case policy::keep:
        break;
    }
    const bool is_void =
        element.tag == GUMBO_TAG_BR || element.tag == GUMBO_TAG_HR || element.tag == GUMBO_TAG_IMG;
    if (is_void) {
      open_tag(element);  // a void element adds no nesting, so depth does not limit it
      return false;
    }
    if (depth_ >= max_output_depth) {  // flattened: children kept, tag dropped (note 5)
      closers_.push_back(nullptr);
      return true;
    }
    closers_.push_back(open_tag(element));
    ++depth_;
    return true;
  }

  void leave(const GumboNode&) {
    const char* closer = closers_.back();
    closers_.pop_back();
    if (closer == nullptr) return;
    out_ += "</";
    out_ += closer;
    out_ += '>';
    --depth_;
    pre_just_opened_ = false;
  }

  std::string take() { return std::move(out_); }

 private:
  static const char* emitted_name(GumboTag tag) {
    return tag == GUMBO_TAG_TFOOT ? "tbody" : gumbo_normalized_tagname(tag);
  }

  void text(std::string_view s) {
    if (s.empty()) return;
    // The parser drops one newline right after <pre>; a text that starts with one needs a
    // second to survive re-parsing.
    if (pre_just_opened_ && s.front() == '\n') out_ += '\n';
    pre_just_opened_ = false;
    append_html_escaped(out_, s);
  }

  void attribute(std::string_view name, std::string_view value) {
    out_ += ' ';
    out_ += name;
    out_ += "=\"";
    append_html_escaped(out_, value);
    out_ += '"';
  }

  // Emits the start tag with its allowed attributes; returns the name to close it with, or
  // nullptr when nothing was emitted (an img without a usable src).
  const char* open_tag(const GumboElement& element) {
    if (element.tag == GUMBO_TAG_IMG) {
      const GumboAttribute* src = gumbo_get_attribute(&element.attributes, "src");
      if (src == nullptr || !url_allowed(src->value, image_schemes)) return nullptr;
    }
    const char* name = emitted_name(element.tag);
    out_ += '<';
    out_ += name;
    for (unsigned i = 0; i < element.attributes.length; ++i) {
      const auto* a = static_cast<const GumboAttribute*>(element.attributes.data[i]);
      const std::string_view attr = a->name;
      const std::string_view value = a->value;
      switch (element.tag) {
        case GUMBO_TAG_A:
          if (attr == "href" && url_allowed(value, link_schemes)) {
            attribute(attr, trimmed_url(value));
          } else if (attr == "title") {
            attribute(attr, value);
          }
          break;
        case GUMBO_TAG_IMG:
          if (attr == "src") {
            attribute(attr, trimmed_url(value));
          } else if (attr == "alt") {
            attribute(attr, value);
          } else if (attr == "width" || attr == "height") {
            if (auto n = bounded_number(value, max_image_dimension)) {
              attribute(attr, std::to_string(*n));
            }
          }
          break;
        case GUMBO_TAG_TD:
        case GUMBO_TAG_TH:
          if (attr == "colspan" || attr == "rowspan") {
            if (auto n = bounded_number(value, max_span)) attribute(attr, std::to_string(*n));
          }
          break;
        default:
          break;  // every other allowed element is emitted bare
      }
    }
    out_ += '>';
    pre_just_opened_ = element.tag == GUMBO_TAG_PRE;
    return name;
  }

  std::string out_;
  std::vector<const char*> closers_;  // per entered element: its end tag, nullptr if not emitted
  std::size_t depth_ = 0;             // emitted elements currently open
  bool pre_just_opened_ = false;
};

// Collects text: block boundaries become one newline, table cells a space, any run of
// whitespace (no-break space included) one space; leading and trailing whitespace is dropped.
class text_writer {
 public:
  bool enter(const GumboNode& node) {
    if (node.type == GUMBO_NODE_TEXT || node.type == GUMBO_NODE_WHITESPACE) {
      text(node.v.text.text);
      return false;
    }
    if (node.type != GUMBO_NODE_ELEMENT) return false;
    if (policy_of(node.v.element) == policy::drop) return false;
    separate(node.v.element.tag);
    return true;
  }

  void leave(const GumboNode& node) { separate(node.v.element.tag); }

  std::string take() { return std::move(out_); }

 private:
  enum class gap { none, space, line };

  void separate(GumboTag tag) {
    if (tag == GUMBO_TAG_TD || tag == GUMBO_TAG_TH) {
      pending_ = std::max(pending_, gap::space);
    } else if (one_of(tag, block_elements)) {
      pending_ = gap::line;
    }
  }

  void text(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (is_html_space(s[i])) {
        pending_ = std::max(pending_, gap::space);
      } else if (s[i] == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') {  // U+00A0
        pending_ = std::max(pending_, gap::space);
        ++i;
      } else {
        if (!out_.empty() && pending_ != gap::none) out_ += pending_ == gap::line ? '\n' : ' ';
        pending_ = gap::none;
        out_ += s[i];
      }
    }
  }

  std::string out_;
  gap pending_ = gap::none;
};

// One sanitising pass (stages 1 to 3).
std::string sanitize_once(std::string_view untrusted) {
  const parsed_fragment fragment(untrusted);
  safe_html_writer writer;
  walk(fragment.nodes(), writer);
  return writer.take();
}

}  // namespace

std::string sanitize_html(std::string_view untrusted) {
  std::string current = sanitize_once(untrusted);
  for (int pass = 1; pass < max_passes; ++pass) {  // note 4
    std::string next = sanitize_once(current);
    if (next == current) break;
    current = std::move(next);
  }
  return current;
}

std::string html_to_text(std::string_view untrusted) {
  const parsed_fragment fragment(untrusted);
  text_writer writer;
  walk(fragment.nodes(), writer);
  return writer.take();
}

}  // namespace samverka::tenant
