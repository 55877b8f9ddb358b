// Unit words that may follow a numeric answer ("5 cm", "\text{ degrees}", "864 square inches")
// and carry no value. Multi-letter words are recognised anywhere at the end of an answer; single
// letters ("m", "s", "g") only when they stand alone in a \text{} group, where they cannot be a
// variable.
#pragma once
#include <string_view>

namespace r1::rewards {

enum class UnitContext { bare_word, text_group };

// `word` is compared case-insensitively.
bool is_unit_word(std::string_view word, UnitContext context);

}  // namespace r1::rewards
