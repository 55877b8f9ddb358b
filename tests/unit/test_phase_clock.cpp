// The per-stage phase clock (engine/phase_clock.hpp): time goes to the innermost active phase only, the
// phases add up to the whole, and stage_time records round-trip through metrics.jsonl into the table.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/phase_clock.hpp"
#include "engine/stage_times.hpp"

using namespace r1;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(test_phase_clock)

BOOST_AUTO_TEST_CASE(nested_scopes_charge_the_innermost_phase) {
  PhaseClock& clock = PhaseClock::instance();
  clock.reset();
  const auto t0 = std::chrono::steady_clock::now();
  {
    PhaseScope update(Phase::update);
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
    {
      PhaseScope generation(Phase::generation);
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  PhaseTimes t = clock.read();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST(t.of(Phase::generation) >= 0.030);
  BOOST_TEST(t.of(Phase::update) >= 0.015);
  BOOST_TEST(t.of(Phase::update) < t.of(Phase::generation) + 0.015);  // the nested 30 ms are not the update's
  BOOST_TEST(t.of(Phase::other) >= 0.005);
  BOOST_TEST(t.of(Phase::scoring) == 0.0);
  BOOST_TEST(t.total() <= wall + 1e-3);
  BOOST_TEST(t.total() >= 0.050);
}

BOOST_AUTO_TEST_CASE(stage_time_records_make_the_table) {
  const fs::path path = fs::temp_directory_path() / ("r1-test-stage-times-" + std::to_string(getpid()) + ".jsonl");
  {
    MetricsLog log(path.string(), 0);
    PhaseTimes a, b;
    a.seconds[size_t(Phase::generation)] = 2.0;
    a.seconds[size_t(Phase::update)] = 1.25;
    b.seconds[size_t(Phase::checkpoint)] = 0.5;
    write_stage_time(log, "reasoning_rl", "grpo", 10, a);
    log.write({{"kind", "grpo"}, {"step", 11}});
    write_stage_time(log, "eval_after_rl", "eval", 10, b);
  }
  const std::string table = format_stage_time_table(path.string());
  fs::remove(path);
  BOOST_TEST(table.find("| reasoning_rl | grpo | 3.2 | 2.0 | 0.0 | 1.2 | 0.0 | 0.0 | 0.0 |") != std::string::npos, table);
  BOOST_TEST(table.find("| eval_after_rl | eval | 0.5 |") != std::string::npos, table);
  BOOST_TEST(table.find("| **all** | | **3.8** | 2.0 | 0.0 | 1.2 | 0.5 |") != std::string::npos, table);
}

BOOST_AUTO_TEST_SUITE_END()
