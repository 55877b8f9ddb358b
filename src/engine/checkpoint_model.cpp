// Models and tokenizers from checkpoint files.
#include "engine/checkpoint_model.hpp"

#include <filesystem>

#include "core/config_yaml.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "io/checkpoint/model_tensors.hpp"

namespace fs = std::filesystem;

namespace r1 {

ModelConfig checkpoint_model_config(const std::string& path) {
  CheckpointReader reader(path);
  R1_INPUT_CHECK(reader.find("/state/model_config"), path, ": not an r1 checkpoint with a model (no /state/model_config)");
  ModelConfig mc;
  read_config(ConfigSource{path + ":/state/model_config", reader.read_string("/state/model_config"), {}}, mc);
  return mc;
}

void load_checkpoint_weights(const std::string& path, Model& model, const Comm& comm) {
  CheckpointReader reader(path, comm);
  read_param_tensors(reader, model.params(), model.params().flat_values(), "model", comm);
  model.params().refresh_weights();
}

std::unique_ptr<Model> load_checkpoint_model(const std::string& path, const Comm& comm, DType dtype, Device device) {
  auto model = std::make_unique<Model>(checkpoint_model_config(path), dtype, device);
  load_checkpoint_weights(path, *model, comm);
  return model;
}

Tokenizer checkpoint_tokenizer(const std::string& checkpoint_path, const std::string& explicit_path) {
  std::string path = explicit_path;
  if (path.empty()) {
    fs::path guess = fs::path(checkpoint_path).parent_path().parent_path() / "tokenizer.json";
    R1_INPUT_CHECK(fs::exists(guess), checkpoint_path, ": no tokenizer given and none at ", guess.string(),
                   " (pass --tokenizer)");
    path = guess.string();
  }
  return Tokenizer::load(path);  // the run saved its tokenizer whole, special tokens included
}

}  // namespace r1
