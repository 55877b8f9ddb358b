// SFT dataset output.
#include "rl/sft_dataset_output.hpp"

#include <filesystem>

#include "io/formats/dataset_file.hpp"
#include "io/formats/dataset_tokenizer_identity.hpp"

namespace r1 {

std::string write_sft_dataset(RunContext& ctx, const StageConfig& stage, const std::string& path_in,
                              const std::vector<Example>& examples) {
  std::string path = path_in.empty()
                         ? (std::filesystem::path(ctx.run.config.run_dir) / (stage.display_name() + ".h5")).string()
                         : path_in;
  if (ctx.run.world.rank() == 0) {
    DatasetAttributes attr;
    attr.kind = DatasetKind::sft;
    attr.tokenizer = tokenizer_identity(ctx.policy.tokenizer);
    attr.chat_template = "compact";
    attr.source_path = "r1 stage " + stage.display_name();
    attr.created_by = std::string("r1 ") + R1_VERSION;
    std::vector<DatasetRecord> records;
    for (const Example& e : examples) {
      DatasetRecord r;
      r.prompt = e.prompt;
      r.response = e.response;
      r.question = e.question;
      r.gold = e.gold;
      r.source_id = stage.display_name() + ":" + std::to_string(e.id);
      records.push_back(std::move(r));
    }
    write_dataset(path, attr, records);
  }
  ctx.run.world.barrier();
  return path;
}

}  // namespace r1
