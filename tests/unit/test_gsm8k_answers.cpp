// GSM8K reference answers (tests/data/gsm8k/test.jsonl, 1319 records): every "#### " final answer
// is extracted and is a number; it is judged equal to the same value re-spelled here (thousands
// separators added, a dollar sign, trailing ".00", inside an answer tag) and different from the
// value plus one.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "common/test_support.hpp"
#include "rl/rewards/answer_extraction.hpp"
#include "rl/rewards/math_equivalence.hpp"

using namespace r1::rewards;

namespace {

// "-1234567" -> "-1,234,567" (integer part only; the fraction part is kept as is).
std::string with_thousands_separators(const std::string& number) {
  size_t sign = (!number.empty() && number[0] == '-') ? 1 : 0;
  size_t point = number.find('.');
  std::string integer = number.substr(sign, point == std::string::npos ? std::string::npos : point - sign);
  std::string fraction = point == std::string::npos ? "" : number.substr(point);
  std::string grouped;
  for (size_t i = 0; i < integer.size(); ++i) {
    if (i > 0 && (integer.size() - i) % 3 == 0) grouped += ',';
    grouped += integer[i];
  }
  return number.substr(0, sign) + grouped + fraction;
}

std::string without_commas(const std::string& text) {
  std::string out;
  for (char c : text)
    if (c != ',') out += c;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_gsm8k_answers)

BOOST_AUTO_TEST_CASE(final_answers_are_numbers_and_respellings_match) {
  std::ifstream in(r1::test::test_data_path("gsm8k/test.jsonl"));
  BOOST_REQUIRE_MESSAGE(in, "cannot open gsm8k/test.jsonl");
  const std::regex number(R"(^-?[0-9][0-9,]*(\.[0-9]+)?$)");
  int64_t records = 0, grouped = 0;
  std::string line;
  while (std::getline(in, line)) {
    ++records;
    std::string solution = nlohmann::json::parse(line).at("answer").get<std::string>();
    std::optional<std::string> extracted = extract_answer(solution);
    BOOST_REQUIRE_MESSAGE(extracted.has_value(), "record " << records << ": no final answer");
    BOOST_REQUIRE_MESSAGE(std::regex_match(*extracted, number), "record " << records << ": \"" << *extracted << "\"");
    std::string plain = without_commas(*extracted);
    std::string spelled = with_thousands_separators(plain);
    if (spelled != plain) ++grouped;
    BOOST_TEST(answers_equivalent(spelled, *extracted), "record " << records << ": " << spelled);
    BOOST_TEST(answers_equivalent(plain, *extracted), "record " << records << ": " << plain);
    BOOST_TEST(answers_equivalent("\\$" + spelled, plain), "record " << records);
    std::optional<std::string> tagged = extract_answer("<think>...</think><answer> " + spelled + " </answer>");
    BOOST_TEST(tagged.value_or("") == spelled);
    if (plain.find('.') == std::string::npos) {
      BOOST_TEST(answers_equivalent(plain + ".00", *extracted), "record " << records);
      std::string plus_one = std::to_string(std::stoll(plain) + 1);
      BOOST_TEST(!answers_equivalent(with_thousands_separators(plus_one), *extracted),
                 "record " << records << ": " << plus_one << " judged equal to " << *extracted);
    }
  }
  BOOST_TEST(records == 1319);
  BOOST_TEST_MESSAGE("GSM8K: " << records << " final answers, " << grouped << " of them >= 1000");
  BOOST_TEST(grouped > 10);
}

BOOST_AUTO_TEST_SUITE_END()
