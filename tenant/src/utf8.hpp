// Private to tenant/: strict UTF-8 decoding shared by text validation and the search tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace samverka::tenant::utf8 {

// One decoded code point; `valid` is false for a malformed byte (which then counts as 1 byte).
struct decoded {
  std::uint32_t cp = 0;
  std::size_t len = 1;
  bool valid = false;
};

inline decoded decode(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return {c, 1, true};
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if ((c & 0xe0) == 0xc0) {
    len = 2, cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    len = 3, cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    len = 4, cp = c & 0x07;
  } else {
    return {};
  }
  if (i + len > s.size()) return {};
  for (std::size_t k = 1; k < len; ++k) {
    const auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return {};
    cp = (cp << 6) | (d & 0x3f);
  }
  const bool overlong =
      (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  if (overlong || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return {};
  return {cp, len, true};
}

}  // namespace samverka::tenant::utf8
