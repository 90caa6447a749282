#include "unicode.h"

#include <algorithm>
#include <iterator>

namespace autodistill::text::unicode {
namespace {

struct CategoryRun {
  uint32_t start;
  uint8_t category;
};
struct CodePointPair {
  uint32_t from;
  uint32_t to;
};
struct CodePointRange {
  uint32_t first;
  uint32_t last;
};
struct Decomposition {
  uint32_t cp;
  uint32_t offset;
  uint32_t length;
};
struct CombiningRange {
  uint32_t first;
  uint32_t last;
  uint8_t ccc;
};
struct Composition {
  uint32_t first;
  uint32_t second;
  uint32_t composite;
};

#include "unicode_tables.inc"

constexpr char32_t kReplacement = 0xFFFD;
constexpr char32_t kHangulS = 0xAC00, kHangulL = 0x1100, kHangulV = 0x1161, kHangulT = 0x11A7;
constexpr int kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr int kHangulNCount = kHangulVCount * kHangulTCount, kHangulSCount = kHangulLCount * kHangulNCount;

template <size_t N>
bool in_ranges(const CodePointRange (&table)[N], char32_t cp) {
  auto it = std::upper_bound(std::begin(table), std::end(table), cp,
                             [](char32_t v, const CodePointRange& r) { return v < r.first; });
  if (it == std::begin(table)) return false;
  --it;
  return cp <= it->last;
}

uint8_t combining_class(char32_t cp) {
  auto it = std::upper_bound(std::begin(kCombiningRanges), std::end(kCombiningRanges), cp,
                             [](char32_t v, const CombiningRange& r) { return v < r.first; });
  if (it == std::begin(kCombiningRanges)) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

void decompose_into(char32_t cp, std::u32string& out) {
  if (cp >= kHangulS && cp < kHangulS + kHangulSCount) {
    const char32_t s = cp - kHangulS;
    out.push_back(kHangulL + s / kHangulNCount);
    out.push_back(kHangulV + (s % kHangulNCount) / kHangulTCount);
    if (s % kHangulTCount != 0) out.push_back(kHangulT + s % kHangulTCount);
    return;
  }
  auto it = std::lower_bound(std::begin(kDecompositions), std::end(kDecompositions), cp,
                             [](const Decomposition& d, char32_t v) { return d.cp < v; });
  if (it != std::end(kDecompositions) && it->cp == cp) {
    out.append(reinterpret_cast<const char32_t*>(kDecompPool) + it->offset, it->length);
  } else {
    out.push_back(cp);
  }
}

// Returns 0 when the pair has no primary composite.
char32_t compose_pair(char32_t a, char32_t b) {
  if (a >= kHangulL && a < kHangulL + kHangulLCount && b >= kHangulV && b < kHangulV + kHangulVCount)
    return kHangulS + ((a - kHangulL) * kHangulVCount + (b - kHangulV)) * kHangulTCount;
  if (a >= kHangulS && a < kHangulS + kHangulSCount && (a - kHangulS) % kHangulTCount == 0 &&
      b > kHangulT && b < kHangulT + kHangulTCount)
    return a + (b - kHangulT);
  auto it = std::lower_bound(std::begin(kCompositions), std::end(kCompositions), std::make_pair(a, b),
                             [](const Composition& c, const std::pair<char32_t, char32_t>& v) {
                               return c.first < v.first || (c.first == v.first && c.second < v.second);
                             });
  if (it != std::end(kCompositions) && it->first == a && it->second == b) return it->composite;
  return 0;
}

}  // namespace

static_assert(sizeof(char32_t) == sizeof(uint32_t), "char32_t must be 32 bits");

const char* table_version() { return kUnicodeVersion; }

std::u32string utf8_decode(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2; cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3; cp = b & 0x0F;
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4; cp = b & 0x07;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    // Consume the longest valid prefix; an invalid continuation ends the maximal subpart.
    size_t j = i + 1;
    bool ok = true;
    for (int k = 1; k < len; ++k, ++j) {
      const unsigned char lo_k = k == 1 ? lo : 0x80, hi_k = k == 1 ? hi : 0xBF;
      if (j >= n || s[j] < lo_k || s[j] > hi_k) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (s[j] & 0x3F);
    }
    out.push_back(ok ? cp : kReplacement);
    i = j;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_encode(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) append_utf8(out, cp);
  return out;
}

Category category(char32_t cp) {
  if (cp >= 0x110000) return Category::Cn;
  auto it = std::upper_bound(std::begin(kCategoryRuns), std::end(kCategoryRuns), cp,
                             [](char32_t v, const CategoryRun& r) { return v < r.start; });
  return static_cast<Category>(std::prev(it)->category);
}

bool is_python_space(char32_t cp) { return in_ranges(kPythonSpaceRanges, cp); }

static char32_t lower_simple(char32_t cp) {
  auto it = std::lower_bound(std::begin(kLowerMap), std::end(kLowerMap), cp,
                             [](const CodePointPair& p, char32_t v) { return p.from < v; });
  return (it != std::end(kLowerMap) && it->from == cp) ? it->to : cp;
}

std::u32string to_lower(std::u32string_view s, bool final_sigma) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char32_t cp = s[i];
    if (cp == 0x130) {
      out.push_back(U'i');
      out.push_back(0x307);
    } else if (cp == 0x3A3 && final_sigma) {
      // Final_Sigma: preceded by a cased letter and not followed by one (case-ignorables skipped).
      size_t j = i;
      while (j > 0 && in_ranges(kCaseIgnorableRanges, s[j - 1])) --j;
      const bool before = j > 0 && in_ranges(kCasedRanges, s[j - 1]);
      size_t k = i + 1;
      while (k < s.size() && in_ranges(kCaseIgnorableRanges, s[k])) ++k;
      const bool after = k < s.size() && in_ranges(kCasedRanges, s[k]);
      out.push_back(before && !after ? 0x3C2 : 0x3C3);
    } else {
      out.push_back(lower_simple(cp));
    }
  }
  return out;
}

std::u32string nfd(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (char32_t cp : s) decompose_into(cp, out);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  size_t i = 0;
  while (i < out.size()) {
    if (combining_class(out[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && combining_class(out[j]) != 0) ++j;
    if (j - i > 1)
      std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j),
                       [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  return out;
}

std::u32string nfc(std::u32string_view s) {
  std::u32string d = nfd(s);
  if (d.empty()) return d;
  std::u32string out;
  out.reserve(d.size());
  size_t starter = std::u32string::npos;  // index in `out` of the last starter
  int last_ccc = -1;                       // ccc of the last character appended after the starter
  for (char32_t cp : d) {
    const int ccc = combining_class(cp);
    if (starter != std::u32string::npos) {
      // Blocked when a character between starter and cp has ccc 0 or >= ccc(cp).
      const bool adjacent = starter + 1 == out.size();
      const bool blocked = !adjacent && (last_ccc == 0 || last_ccc >= ccc);
      if (!blocked) {
        if (char32_t c = compose_pair(out[starter], cp)) {
          out[starter] = c;
          continue;
        }
      }
    }
    if (ccc == 0) {
      starter = out.size();
      last_ccc = -1;
    } else {
      last_ccc = ccc;
    }
    out.push_back(cp);
  }
  return out;
}

}  // namespace autodistill::text::unicode
