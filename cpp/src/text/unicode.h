#pragma once
// Internal Unicode helpers shared by the tokenizers: UTF-8 <-> code points, general categories,
// Python-compatible lower-casing and whitespace, and NFC / NFD. Tables come from Python's
// unicodedata (scripts/gen_unicode_tables.py) so that results match the Python tokenizers.

#include <cstdint>
#include <string>
#include <string_view>

namespace autodistill::text::unicode {

/// General categories, in the order the generator writes them.
enum class Category : uint8_t {
  Cn, Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps,
  Pe, Pi, Pf, Po, Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co
};

/// Unicode version of the tables (Python's unicodedata.unidata_version when generated).
const char* table_version();

/// Decodes UTF-8; each maximal invalid subsequence becomes U+FFFD (as Python's errors="replace").
std::u32string utf8_decode(std::string_view bytes);
void append_utf8(std::string& out, char32_t cp);
std::string utf8_encode(std::u32string_view cps);

Category category(char32_t cp);
inline bool is_letter(char32_t cp) {
  auto c = category(cp);
  return c >= Category::Lu && c <= Category::Lo;
}
inline bool is_number(char32_t cp) {
  auto c = category(cp);
  return c >= Category::Nd && c <= Category::No;
}
inline bool is_punctuation_category(char32_t cp) {
  auto c = category(cp);
  return c >= Category::Pc && c <= Category::Po;
}
/// Category C* (Cc, Cf, Cs, Co, Cn).
inline bool is_other(char32_t cp) {
  auto c = category(cp);
  return c == Category::Cn || c >= Category::Cc;
}

/// Python's str.isspace().
bool is_python_space(char32_t cp);
/// The White_Space property (what `\s` matches in the `regex` module): str.isspace() minus U+001C..U+001F.
inline bool is_white_space(char32_t cp) {
  return is_python_space(cp) && !(cp >= 0x1C && cp <= 0x1F);
}

/// Python's str.lower(): full mapping (U+0130 -> "i\u0307") and, when `final_sigma`, the
/// Final_Sigma rule for U+03A3. Lower-casing one code point at a time is `final_sigma = false`.
std::u32string to_lower(std::u32string_view s, bool final_sigma = true);

/// unicodedata.normalize("NFD" / "NFC", s).
std::u32string nfd(std::u32string_view s);
std::u32string nfc(std::u32string_view s);

}  // namespace autodistill::text::unicode
