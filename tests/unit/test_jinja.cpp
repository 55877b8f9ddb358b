// Jinja interpreter (io/jinja/jinja_template.hpp) against Python's jinja2 as transformers configures it
// (tests/data/make_jinja_golden.py -> tests/data/jinja/golden.json): every family template (Qwen2.5, Qwen3, QwQ,
// Llama-3.1/3.2, DeepSeek-V3/R1 over many conversations) and every construct template must render byte for
// byte; every bad template must throw InputError naming the file, the line jinja2 reports and the problem.
#include <boost/test/unit_test.hpp>

#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "common/test_support.hpp"
#include "core/error.hpp"
#include "io/jinja/jinja_template.hpp"

using namespace r1;
using json = nlohmann::ordered_json;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const json& golden() {
  static const json g = json::parse(read_file(test::test_data_path("jinja/golden.json")));
  return g;
}

// The fixed clock the goldens were rendered with (strftime_now).
std::tm golden_now() {
  const json& n = golden()["now"];
  std::tm t{};
  t.tm_year = n[0].get<int>() - 1900;
  t.tm_mon = n[1].get<int>() - 1;
  t.tm_mday = n[2].get<int>();
  t.tm_hour = n[3].get<int>();
  t.tm_min = n[4].get<int>();
  t.tm_sec = n[5].get<int>();
  std::time_t seconds = timegm(&t);  // fills weekday and day of year
  gmtime_r(&seconds, &t);
  return t;
}

// First differing byte, for a readable failure.
std::string first_difference(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  return "differs at byte " + std::to_string(i) + ": got ..." + got.substr(i, 40) + "... want ..." +
         want.substr(i, 40) + "...";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_jinja)

BOOST_AUTO_TEST_CASE(family_templates_render_as_jinja2) {
  const json& cases = golden()["family"];
  BOOST_REQUIRE_GE(cases.size(), 90u);
  std::tm now = golden_now();
  for (const json& c : cases) {
    const std::string file = c["template_file"].get<std::string>();
    JinjaTemplate t = JinjaTemplate::parse(read_file(test::test_data_path("jinja/templates/" + file)), file);
    std::string got = t.render(c["context"], now);
    const std::string want = c["output"].get<std::string>();
    BOOST_CHECK_MESSAGE(got == want, c["name"].get<std::string>() << ": " << first_difference(got, want));
  }
}

BOOST_AUTO_TEST_CASE(construct_templates_render_as_jinja2) {
  const json& cases = golden()["construct"];
  BOOST_REQUIRE_GE(cases.size(), 70u);
  std::tm now = golden_now();
  for (const json& c : cases) {
    const std::string name = c["name"].get<std::string>();
    std::string got;
    try {
      got = JinjaTemplate::parse(c["template"].get<std::string>(), name).render(golden()["construct_context"], now);
    } catch (const InputError& e) {
      BOOST_ERROR(name << " threw: " << e.what());
      continue;
    }
    const std::string want = c["output"].get<std::string>();
    BOOST_CHECK_MESSAGE(got == want, name << ": " << first_difference(got, want));
  }
}

BOOST_AUTO_TEST_CASE(bad_templates_are_input_errors_naming_the_line) {
  const json& cases = golden()["error"];
  BOOST_REQUIRE_GE(cases.size(), 20u);
  std::tm now = golden_now();
  for (const json& c : cases) {
    const std::string name = c["name"].get<std::string>();
    const std::string where = "tokenizer_config.json: chat_template";
    std::string message;
    try {
      JinjaTemplate::parse(c["template"].get<std::string>(), where).render(golden()["construct_context"], now);
      BOOST_ERROR(name << ": no InputError");
      continue;
    } catch (const InputError& e) {
      message = e.what();
    }
    BOOST_CHECK_MESSAGE(message.rfind(where + " line ", 0) == 0, name << ": " << message);
    BOOST_CHECK_MESSAGE(message.find(c["expect"].get<std::string>()) != std::string::npos,
                        name << ": '" << message << "' lacks '" << c["expect"].get<std::string>() << "'");
    if (c.contains("line") && !c["line"].is_null()) {
      std::string line = " line " + std::to_string(c["line"].get<int>()) + ": ";
      BOOST_CHECK_MESSAGE(message.find(line) != std::string::npos,
                          name << ": '" << message << "' does not name jinja2's" << line);
    }
  }
}

BOOST_AUTO_TEST_CASE(parsed_template_renders_many_contexts) {
  // One parse, several renders (the recipe parses once per run); contexts do not leak into each other.
  JinjaTemplate t = JinjaTemplate::parse("{% if x is defined %}{{ x }}{% set y = 1 %}{% endif %}[{{ y }}]", "inline");
  BOOST_CHECK_EQUAL(t.render(json{{"x", 5}}), "5[1]");
  BOOST_CHECK_EQUAL(t.render(json::object()), "[]");
  BOOST_CHECK_EQUAL(t.where(), "inline");
  BOOST_CHECK_THROW(t.render(json::array()), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
