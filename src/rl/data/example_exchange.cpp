// Example serialisation for the all-gather (JSON keeps it simple; the sets are small).
#include "rl/data/example_exchange.hpp"

#include <nlohmann/json.hpp>

namespace r1 {

std::vector<Example> allgather_examples(const Comm& comm, const std::vector<Example>& mine) {
  nlohmann::json j = nlohmann::json::array();
  for (auto& e : mine) j.push_back({{"id", e.id}, {"p", e.prompt}, {"r", e.response}, {"q", e.question}, {"g", e.gold}});
  std::vector<Example> out;
  for (const std::string& part : comm.allgather_strings(j.dump())) {
    for (auto& x : nlohmann::json::parse(part)) {
      Example e;
      e.id = x["id"].get<int64_t>();
      e.prompt = x["p"].get<std::vector<int32_t>>();
      e.response = x["r"].get<std::vector<int32_t>>();
      e.question = x["q"].get<std::string>();
      e.gold = x["g"].get<std::string>();
      out.push_back(std::move(e));
    }
  }
  for (size_t i = 0; i < out.size(); ++i) out[i].id = int64_t(i);
  return out;
}

}  // namespace r1
