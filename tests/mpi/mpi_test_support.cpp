// MPI test helpers.
#include "mpi/mpi_test_support.hpp"

#include <filesystem>

#include "core/config_yaml.hpp"

namespace r1::test {

Comm world_comm() { return Comm::duplicate(MPI_COMM_WORLD); }

std::string scratch_dir(const Comm& world, const std::string& name) {
  std::string path = (std::filesystem::current_path() / "scratch" / (name + "-np" + std::to_string(world.size()))).string();
  if (world.rank() == 0) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  world.barrier();
  return path;
}

RecipeResult run_inline_recipe(const std::string& yaml, const std::vector<std::string>& overrides, const Comm& world) {
  RecipeInputs in;
  ConfigSource src{"<test config>", yaml, overrides};
  read_config(src, in.config);
  in.config_file = src.file;
  in.resolved_yaml = write_config(in.config);
  return run_recipe(in, world);
}

}  // namespace r1::test
