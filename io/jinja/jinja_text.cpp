// Python str semantics on UTF-8 strings (see jinja_text.hpp). Case mapping: Unicode simple mappings from the
// C.UTF-8 locale plus sharp s -> SS; title/capitalize look at ASCII letters only.
#include "io/jinja/jinja_text.hpp"

#include <clocale>
#include <cwctype>
#include <locale.h>

#include "io/tokenizer/bpe_utf8.hpp"
#include "io/jinja/jinja_value.hpp"

namespace r1::jinja {

bool py_isspace(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
         cp == 0x3000;
}

std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) out.push_back(bpe::next_code_point(s, pos));
  return out;
}

std::string from_code_points(const std::vector<char32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) bpe::append_utf8(cps[i], out);
  return out;
}

size_t code_point_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right) {
  std::vector<char32_t> cps = code_points(s);
  std::vector<char32_t> set = chars ? code_points(*chars) : std::vector<char32_t>{};
  auto strip_me = [&](char32_t cp) {
    if (!chars) return py_isspace(cp);
    for (char32_t c : set)
      if (c == cp) return true;
    return false;
  };
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && strip_me(cps[b])) ++b;
  if (right)
    while (e > b && strip_me(cps[e - 1])) --e;
  return from_code_points(cps, b, e);
}

std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit,
                                  bool from_right) {
  std::vector<std::string> parts;
  if (sep) {
    if (sep->empty()) throw Failure("empty separator");
    if (!from_right) {
      size_t start = 0;
      while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
        size_t at = s.find(*sep, start);
        if (at == std::string_view::npos) break;
        parts.emplace_back(s.substr(start, at - start));
        start = at + sep->size();
      }
      parts.emplace_back(s.substr(start));
      return parts;
    }
    size_t end = s.size();
    std::vector<std::string> rev;
    while (maxsplit < 0 || static_cast<int64_t>(rev.size()) < maxsplit) {
      if (end < sep->size()) break;
      size_t at = s.rfind(*sep, end - sep->size());
      if (at == std::string_view::npos) break;
      rev.emplace_back(s.substr(at + sep->size(), end - at - sep->size()));
      end = at;
    }
    rev.emplace_back(s.substr(0, end));
    return {rev.rbegin(), rev.rend()};
  }
  // Whitespace runs; leading/trailing whitespace gives no empty parts.
  std::vector<char32_t> cps = code_points(s);
  if (!from_right) {
    size_t i = 0, n = cps.size();
    while (true) {
      while (i < n && py_isspace(cps[i])) ++i;
      if (i == n) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.push_back(from_code_points(cps, i, n));  // the remainder keeps its trailing whitespace
        break;
      }
      size_t j = i;
      while (j < n && !py_isspace(cps[j])) ++j;
      parts.push_back(from_code_points(cps, i, j));
      i = j;
    }
    return parts;
  }
  std::vector<std::string> rev;
  size_t e = cps.size();
  while (true) {
    while (e > 0 && py_isspace(cps[e - 1])) --e;
    if (e == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(rev.size()) == maxsplit) {
      rev.push_back(from_code_points(cps, 0, e));  // the remainder keeps its leading whitespace
      break;
    }
    size_t b = e;
    while (b > 0 && !py_isspace(cps[b - 1])) --b;
    rev.push_back(from_code_points(cps, b, e));
    e = b;
  }
  return {rev.rbegin(), rev.rend()};
}

std::string py_replace(std::string_view s, std::string_view old_text, std::string_view new_text, int64_t count) {
  std::string out;
  if (old_text.empty()) {
    // Python inserts `new` between every code point (and at both ends).
    std::vector<char32_t> cps = code_points(s);
    int64_t done = 0;
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || done < count) {
        out += new_text;
        ++done;
      }
      if (i < cps.size()) bpe::append_utf8(cps[i], out);
    }
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    size_t at = s.find(old_text, start);
    if (at == std::string_view::npos) break;
    out += s.substr(start, at - start);
    out += new_text;
    start = at + old_text.size();
    ++done;
  }
  out += s.substr(start);
  return out;
}

namespace {

// Simple Unicode case mapping from glibc's C.UTF-8 locale (a private locale object; the process locale is left
// alone). Without that locale only ASCII letters change case.
locale_t utf8_locale() {
  static locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

char32_t map_case(char32_t cp, bool upper) {
  if (cp < 0x80) {
    if (upper && cp >= 'a' && cp <= 'z') return cp - 'a' + 'A';
    if (!upper && cp >= 'A' && cp <= 'Z') return cp - 'A' + 'a';
    return cp;
  }
  locale_t loc = utf8_locale();
  if (!loc) return cp;
  return static_cast<char32_t>(upper ? towupper_l(static_cast<wint_t>(cp), loc) : towlower_l(static_cast<wint_t>(cp), loc));
}

std::string map_case(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = bpe::next_code_point(s, pos);
    if (upper && cp == 0xdf) out += "SS";  // Python's full mapping of sharp s
    else bpe::append_utf8(map_case(cp, upper), out);
  }
  return out;
}

}  // namespace

std::string py_upper(std::string_view s) { return map_case(s, true); }

std::string py_lower(std::string_view s) { return map_case(s, false); }

std::string py_capitalize(std::string_view s) {
  std::string lower = py_lower(s);
  if (lower.empty()) return lower;
  size_t pos = 0;
  char32_t first = bpe::next_code_point(lower, pos);
  std::string one;
  bpe::append_utf8(first, one);
  return py_upper(one) + lower.substr(pos);
}

std::string py_title(std::string_view s) {
  std::string out(s);
  bool previous_cased = false;
  for (char& c : out) {
    bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
    if (lower && !previous_cased) c = static_cast<char>(c - 'a' + 'A');
    else if (upper && previous_cased) c = static_cast<char>(c - 'A' + 'a');
    previous_cased = lower || upper || static_cast<unsigned char>(c) >= 0x80;
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&#39;"; break;
      case '"': out += "&#34;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace r1::jinja
