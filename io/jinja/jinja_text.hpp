// Python str semantics on UTF-8 strings for the Jinja interpreter (io/jinja): whitespace as str.isspace(),
// strip/split with Python's rules, code point length/indexing/slicing, case mapping.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace r1::jinja {

bool py_isspace(char32_t cp);
std::vector<char32_t> code_points(std::string_view s);
std::string from_code_points(const std::vector<char32_t>& cps, size_t begin, size_t end);
size_t code_point_length(std::string_view s);
bool is_ascii(std::string_view s);

// str.strip / lstrip / rstrip; `chars` empty-optional means whitespace.
std::string py_strip(std::string_view s, const std::optional<std::string>& chars, bool left, bool right);
// str.split / str.rsplit; `sep` empty-optional means runs of whitespace; maxsplit < 0 means no limit.
std::vector<std::string> py_split(std::string_view s, const std::optional<std::string>& sep, int64_t maxsplit,
                                  bool from_right);
std::string py_replace(std::string_view s, std::string_view old_text, std::string_view new_text, int64_t count);
std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_capitalize(std::string_view s);  // first code point upper, the rest lower
std::string py_title(std::string_view s);       // str.title(): word starts upper, the rest lower
std::string html_escape(std::string_view s);    // markupsafe.escape: & < > ' "

}  // namespace r1::jinja
