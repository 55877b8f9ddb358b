// The runtime: section (core/runtime_settings.hpp): YAML reading and writing, the R1_* environment
// overrides with the lines that report them, and errors naming the key or the variable.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <string>

#include "core/config_yaml.hpp"
#include "core/error.hpp"
#include "core/runtime_settings.hpp"

using namespace r1;

namespace {
// Unsets the R1_* variables for the case and puts back what was there.
struct CleanEnvironment {
  static constexpr const char* kNames[] = {"R1_CUDA_GRAPHS", "R1_CUDA_WGMMA", "R1_CUDA_EXACT_ALLOC", "R1_PROFILE_OPS",
                                           "R1_TENSOR_TRANSPORT"};
  std::string saved[5];
  bool had[5] = {};
  CleanEnvironment() {
    for (int i = 0; i < 5; ++i) {
      const char* v = std::getenv(kNames[i]);
      had[i] = v != nullptr;
      if (v) saved[i] = v;
      unsetenv(kNames[i]);
    }
  }
  ~CleanEnvironment() {
    for (int i = 0; i < 5; ++i) {
      if (had[i]) setenv(kNames[i], saved[i].c_str(), 1);
      else unsetenv(kNames[i]);
    }
  }
};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_runtime_settings)

BOOST_AUTO_TEST_CASE(yaml_keys_read_and_written) {
  RuntimeSettings s;
  read_config(ConfigSource{"run.yaml", "cuda_graphs: false\ntensor_transport: mpi\nprofile_ops: true\n", {}}, s);
  BOOST_TEST(!s.cuda_graphs);
  BOOST_TEST(s.cuda_wgmma);
  BOOST_TEST(!s.cuda_exact_alloc);
  BOOST_TEST(s.profile_ops);
  BOOST_TEST(int(s.tensor_transport) == int(TensorTransport::mpi));
  const std::string yaml = write_config(s);
  BOOST_TEST(yaml.find("cuda_graphs: false") != std::string::npos, yaml);
  BOOST_TEST(yaml.find("tensor_transport: mpi") != std::string::npos, yaml);
  RuntimeSettings again;
  read_config(ConfigSource{"written.yaml", yaml, {}}, again);
  BOOST_TEST(write_config(again) == yaml);
  BOOST_TEST(describe(s) == "cuda_graphs off, cuda_wgmma on, cuda_exact_alloc off, profile_ops on, tensor_transport mpi");

  RuntimeSettings bad;
  const std::string m = message_of([&] { read_config(ConfigSource{"run.yaml", "tensor_transport: infiniband\n", {}}, bad); });
  BOOST_TEST(m.find("tensor_transport") != std::string::npos, m);
  BOOST_TEST(m.find("run.yaml") != std::string::npos, m);
  BOOST_CHECK_THROW(read_config(ConfigSource{"run.yaml", "cuda_grafs: false\n", {}}, bad), InputError);
}

BOOST_AUTO_TEST_CASE(environment_overrides_are_applied_and_reported) {
  CleanEnvironment clean;
  RuntimeSettings s;
  BOOST_TEST(apply_environment_overrides(s).empty());  // nothing set: nothing changes
  BOOST_TEST(s.cuda_graphs);
  setenv("R1_CUDA_GRAPHS", "0", 1);
  setenv("R1_CUDA_EXACT_ALLOC", "1", 1);
  setenv("R1_TENSOR_TRANSPORT", "mpi", 1);
  const auto lines = apply_environment_overrides(s);
  BOOST_TEST(!s.cuda_graphs);
  BOOST_TEST(s.cuda_exact_alloc);
  BOOST_TEST(s.cuda_wgmma);  // not set: the config's value stays
  BOOST_TEST(int(s.tensor_transport) == int(TensorTransport::mpi));
  BOOST_REQUIRE(lines.size() == 3u);
  BOOST_TEST(lines[0] == "runtime.cuda_graphs: false (R1_CUDA_GRAPHS=0 in the environment)");
  BOOST_TEST(lines[2].find("R1_TENSOR_TRANSPORT=mpi") != std::string::npos, lines[2]);
}

BOOST_AUTO_TEST_CASE(bad_environment_values_name_the_variable) {
  CleanEnvironment clean;
  RuntimeSettings s;
  setenv("R1_CUDA_WGMMA", "maybe", 1);
  std::string m = message_of([&] { apply_environment_overrides(s); });
  BOOST_TEST(m.find("R1_CUDA_WGMMA") != std::string::npos, m);
  BOOST_TEST(m.find("maybe") != std::string::npos, m);
  unsetenv("R1_CUDA_WGMMA");
  setenv("R1_TENSOR_TRANSPORT", "gloo", 1);
  m = message_of([&] { apply_environment_overrides(s); });
  BOOST_TEST(m.find("R1_TENSOR_TRANSPORT") != std::string::npos, m);
  BOOST_TEST(m.find("automatic, nccl, mpi") != std::string::npos, m);
}

BOOST_AUTO_TEST_CASE(set_settings_are_the_process_settings) {
  const RuntimeSettings saved = runtime_settings();
  RuntimeSettings s = saved;
  s.profile_ops = !saved.profile_ops;
  set_runtime_settings(s);
  BOOST_TEST(runtime_settings().profile_ops == !saved.profile_ops);
  set_runtime_settings(saved);
  BOOST_TEST(runtime_settings().profile_ops == saved.profile_ops);
}

BOOST_AUTO_TEST_SUITE_END()
