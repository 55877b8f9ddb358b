// verify_jsonl (`r1 verify`): records come back in input order with their keys in their original
// order plus "correct"; numbers are accepted; malformed lines and missing fields name FILE:LINE.
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "rl/rewards/verify_jsonl.hpp"

using namespace r1;
using namespace r1::rewards;

namespace {

std::string expect_input_error(const std::string& input) {
  std::istringstream in(input);
  std::ostringstream out;
  try {
    verify_jsonl(in, "preds.jsonl", out);
  } catch (const InputError& e) {
    return e.what();
  }
  BOOST_FAIL("no InputError for: " << input);
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_verify_jsonl)

BOOST_AUTO_TEST_CASE(order_keys_and_verdicts) {
  std::istringstream in(
      "{\"zeta\": 1, \"prediction\": \"\\\\frac{1}{2}\", \"gold\": \"0.5\", \"alpha\": \"x\"}\n"
      "\n"
      "{\"gold\": \"(1,2]\", \"prediction\": \"[1,2]\", \"id\": 7}\n"
      "{\"prediction\": \"<think>t</think><answer>\\\\boxed{1,000}</answer>\", \"gold\": \"so\\n#### 1000\"}\n"
      "{\"prediction\": 18, \"gold\": \"18\", \"correct\": false, \"m\": null}\n"
      "{\"prediction\": \"caf\\u00e9\", \"gold\": 0.25}\n");
  std::ostringstream out;
  int64_t records = 0;
  int64_t correct = verify_jsonl(in, "preds.jsonl", out, &records);
  BOOST_TEST(records == 5);
  BOOST_TEST(correct == 3);
  std::istringstream lines(out.str());
  std::string line;
  std::vector<std::string> written;
  while (std::getline(lines, line)) written.push_back(line);
  BOOST_REQUIRE_EQUAL(written.size(), 5u);
  BOOST_TEST(written[0] == R"({"zeta":1,"prediction":"\\frac{1}{2}","gold":"0.5","alpha":"x","correct":true})");
  BOOST_TEST(written[1] == R"({"gold":"(1,2]","prediction":"[1,2]","id":7,"correct":false})");
  BOOST_TEST(nlohmann::json::parse(written[2]).at("correct") == true);
  // An existing "correct" is replaced in place.
  BOOST_TEST(written[3] == R"({"prediction":18,"gold":"18","correct":true,"m":null})");
  BOOST_TEST(written[4] == "{\"prediction\":\"caf\xc3\xa9\",\"gold\":0.25,\"correct\":false}");
}

BOOST_AUTO_TEST_CASE(errors_name_the_line) {
  std::string message = expect_input_error("{\"prediction\": \"1\", \"gold\": \"1\"}\n\n{\"prediction\": \"1\", \"gold\": }\n");
  BOOST_TEST(message.starts_with("preds.jsonl:3: "), message);
  message = expect_input_error("{\"prediction\": \"1\"}\n");
  BOOST_TEST(message.starts_with("preds.jsonl:1: "), message);
  BOOST_TEST(message.find("gold") != std::string::npos, message);
  message = expect_input_error("{\"prediction\": \"1\", \"gold\": \"1\"}\n{\"gold\": \"1\"}\n");
  BOOST_TEST(message.starts_with("preds.jsonl:2: "), message);
  BOOST_TEST(message.find("prediction") != std::string::npos, message);
  message = expect_input_error("[1, 2]\n");
  BOOST_TEST(message.starts_with("preds.jsonl:1: "), message);
  message = expect_input_error("{\"prediction\": [1], \"gold\": \"1\"}\n");
  BOOST_TEST(message.starts_with("preds.jsonl:1: "), message);
  BOOST_TEST(message.find("prediction") != std::string::npos, message);
}

BOOST_AUTO_TEST_SUITE_END()
