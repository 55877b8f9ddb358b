// The table of unit words stripped from answers (see answer_units.hpp).
#include "rl/rewards/answer_units.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace r1::rewards {

namespace {

constexpr std::array kMultiLetterUnits = {
    "cm", "mm", "km", "meter", "meters", "metre", "metres", "centimeter", "centimeters", "millimeter",
    "millimeters", "kilometer", "kilometers", "inch", "inches", "foot", "feet", "ft", "yard", "yards",
    "yd", "yds", "mile", "miles", "mph", "kph", "second", "seconds", "sec", "secs", "minute", "minutes",
    "min", "mins", "hour", "hours", "hr", "hrs", "day", "days", "week", "weeks", "month", "months",
    "year", "years", "degree", "degrees", "deg", "radian", "radians", "rad", "dollar", "dollars",
    "cent", "cents", "unit", "units", "square", "sq", "cubic", "gallon", "gallons", "liter", "liters",
    "litre", "litres", "ml", "pound", "pounds", "lb", "lbs", "ounce", "ounces", "oz", "gram", "grams",
    "kg", "mg", "ways", "points", "people", "calories"};

constexpr std::array kSingleLetterUnits = {"m", "s", "g", "h", "l", "in"};

}  // namespace

bool is_unit_word(std::string_view word, UnitContext context) {
  if (word.empty()) return false;
  std::string lower(word);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  auto listed = [&](const auto& table) {
    return std::any_of(table.begin(), table.end(), [&](const char* unit) { return lower == unit; });
  };
  if (listed(kMultiLetterUnits)) return true;
  return context == UnitContext::text_group && listed(kSingleLetterUnits);
}

}  // namespace r1::rewards
