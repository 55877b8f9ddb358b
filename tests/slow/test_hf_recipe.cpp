// A recipe that starts from a Hugging Face folder (tests/data/hf_e2e/qwen2_tiny, made by
// tests/data/make_hf_e2e_golden.py: a Qwen2-shaped model with a Qwen-shaped tokenizer.json and the
// Qwen2.5 chat template): GSM8K prompts imported with the model's own chat template give exactly the
// ids transformers' apply_chat_template gives (and the R1-Zero template the ids of tokenizer(text));
// the imported weights give transformers' log-probs; R1-Zero GRPO runs on 2 ranks, is killed with
// SIGKILL after its first checkpoint and resumed, and ends bit-identical to an uninterrupted run; its
// export is a complete Hugging Face folder (weights, config, tokenizer, chat template, generation
// config) whose re-import holds exactly the trained weights and scores the same log-probs.
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <nlohmann/json.hpp>

#include "io/checkpoint/checkpoint_file.hpp"
#include "io/checkpoint/checkpoint_folder.hpp"
#include "io/formats/dataset_file.hpp"

namespace fs = std::filesystem;
using namespace r1;

namespace {

const std::string kData = R1_SOURCE_TEST_DATA;
const std::string kFolder = kData + "/hf_e2e/qwen2_tiny";

nlohmann::json golden() {
  std::ifstream in(kData + "/hf_e2e/golden.json");
  BOOST_REQUIRE(in);
  return nlohmann::json::parse(in);
}

// Runs a shell command with output appended to `log`; returns its exit code.
int run(const std::string& command, const std::string& log) {
  const std::string line = command + " >> " + log + " 2>&1";
  int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string r1_bin() { return R1_BINARY; }
std::string mpirun_2() { return std::string(R1_MPIEXEC) + " -np 2 "; }

// A random model is sure of itself (it repeats one token): a high temperature and a stop string give
// completions of varied lengths, so the length reward differs within groups and the update is not zero.
std::string recipe(const std::string& data) {
  return "seed: 11\n"
         "model: {from_hf: " + kFolder + "}\n"
         "template: hf\n"
         "checkpoint: {every: 1, keep: 2}\n"
         "stages:\n"
         "  - kind: grpo\n"
         "    name: r1_zero\n"
         "    steps: 3\n"
         "    micro_batch_size: 16\n"
         "    optim: {lr: 3.0e-3, warmup_steps: 0}\n"
         "    data: {source: path, path: " + data + "}\n"
         "    grpo: {group_size: 4, prompts_per_step: 4, beta: 0.01,\n"
         "           rewards: [{name: accuracy}, {name: format, weight: 0.5}, {name: length, overlong_buffer: 16}],\n"
         "           sampling: {max_new_tokens: 20, temperature: 4.0, stop: [\"e\"]}}\n";
}

pid_t start(const std::string& command, const std::string& log) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    freopen(log.c_str(), "a", stdout);
    freopen(log.c_str(), "a", stderr);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string final_checkpoint(const std::string& dir) {
  auto latest = read_latest(dir + "/checkpoints");
  BOOST_REQUIRE(latest);
  return dir + "/checkpoints/" + *latest;
}

bool same_bits(const Tensor& x, const Tensor& y) {
  return x.nbytes() == y.nbytes() && std::memcmp(x.raw(), y.raw(), x.nbytes()) == 0;
}

std::vector<std::vector<double>> read_scores(const std::string& path) {
  std::vector<std::vector<double>> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line).at("logprobs").get<std::vector<double>>());
  return out;
}

struct Scratch {
  std::string dir = (fs::current_path() / "scratch" / "hf_recipe").string();
  std::string log = dir + "/log.txt";
  Scratch() {
    static bool cleaned = false;
    if (!cleaned) fs::remove_all(dir);
    cleaned = true;
    fs::create_directories(dir);
  }
  std::string path(const std::string& name) const { return dir + "/" + name; }
};

std::vector<std::vector<int32_t>> dataset_prompts(const std::string& file, int64_t n) {
  DatasetReader reader = DatasetReader::open(file, {});
  std::vector<std::vector<int32_t>> out;
  for (DatasetRecord& r : reader.read_rows(0, n)) out.push_back(r.prompt);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_hf_recipe)

BOOST_AUTO_TEST_CASE(prompts_equal_transformers_apply_chat_template) {
  Scratch s;
  const nlohmann::json g = golden();
  const std::string gsm8k = kData + "/gsm8k/test.jsonl";
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " data import gsm8k " + gsm8k + " --tokenizer " + kFolder + " --template hf --out " +
                              s.path("gsm8k_hf.h5"), s.log), 0);
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " data import gsm8k " + gsm8k + " --tokenizer " + kFolder +
                              " --template r1_zero --out " + s.path("gsm8k_r1_zero.h5"), s.log), 0);
  const auto& cases = g.at("prompts");
  auto chat = dataset_prompts(s.path("gsm8k_hf.h5"), int64_t(cases.size()));
  auto zero = dataset_prompts(s.path("gsm8k_r1_zero.h5"), int64_t(cases.size()));
  for (size_t i = 0; i < cases.size(); ++i) {
    BOOST_TEST(chat[i] == cases[i].at("chat_prompt_ids").get<std::vector<int32_t>>(), boost::test_tools::per_element());
    BOOST_TEST(zero[i] == cases[i].at("r1_zero_prompt_ids").get<std::vector<int32_t>>(), boost::test_tools::per_element());
  }
  // The compact template writes r1's own tokens, which this tokenizer lacks: refused, naming them.
  BOOST_TEST(run(r1_bin() + " data import gsm8k " + gsm8k + " --tokenizer " + kFolder + " --out " + s.path("x.h5"), s.log) == 2);
  BOOST_TEST(!fs::exists(s.path("x.h5")));
}

BOOST_AUTO_TEST_CASE(a_tokenizer_beyond_the_embedding_is_refused_at_start) {
  Scratch s;
  // The same folder with config.json claiming 800 embedding rows (the tokenizer has ids up to 902).
  const std::string folder = s.path("too_small");
  fs::create_directories(folder);
  for (const auto& e : fs::directory_iterator(kFolder)) fs::copy_file(e.path(), folder + "/" + e.path().filename().string());
  nlohmann::json config;
  {
    std::ifstream in(folder + "/config.json");
    config = nlohmann::json::parse(in);
  }
  config["vocab_size"] = 800;
  std::ofstream(folder + "/config.json") << config.dump(2);
  const std::string recipe_file = s.path("too_small.yaml");
  std::ofstream(recipe_file) << "model: {from_hf: " << folder << "}\ntemplate: r1_zero\nstages:\n  - {kind: eval, data: "
                                "{split: heldout, examples: 4}}\n";
  const std::string log = s.path("too_small.log");
  BOOST_TEST(run(r1_bin() + " run " + recipe_file + " run_dir=" + s.path("too_small_run"), log) == 2);
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(text.find("config.json: vocab_size: the model has 800 embedding rows") != std::string::npos, text);
  BOOST_TEST(!fs::exists(s.path("too_small_run")));  // nothing written
}

BOOST_AUTO_TEST_CASE(added_tokens_grow_the_embedding_with_the_mean_row) {
  Scratch s;
  // 125 added tokens take the tokenizer (903 ids) past the folder's 1024 embedding rows: 1028 rows.
  std::string tokens;
  for (int i = 0; i < 125; ++i) tokens += std::string(i ? ", " : "") + "\"<extra_" + std::to_string(i) + ">\"";
  const std::string data = s.path("gsm8k_grow.h5");
  const std::string recipe_file = s.path("grow.yaml");
  std::ofstream(recipe_file) << "model: {from_hf: " << kFolder << "}\ntokenizer: {add_tokens: [" << tokens
                             << "]}\ntemplate: r1_zero\nstages:\n  - {kind: eval, data: {split: heldout, examples: 2}, "
                                "eval: {samples: 1, sampling: {max_new_tokens: 4}}}\n";
  const std::string dir = s.path("grow_run");
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " run " + recipe_file + " run_dir=" + dir, s.log), 0);
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " ckpt import " + kFolder + " --out " + s.path("grow_start.h5"), s.log), 0);
  const std::string name = "/model/model.embed_tokens.weight";
  Tensor start = CheckpointReader(s.path("grow_start.h5")).read(name);
  Tensor grown = CheckpointReader(final_checkpoint(dir)).read(name);
  BOOST_REQUIRE((grown.shape() == Shape{1028, 32}));
  const float* a = start.data<float>();
  const float* b = grown.data<float>();
  BOOST_TEST(std::memcmp(a, b, sizeof(float) * 1024 * 32) == 0);  // the folder's rows, unchanged
  for (int64_t j = 0; j < 32; ++j) {
    double mean = 0;
    for (int64_t r = 0; r < 1024; ++r) mean += double(a[r * 32 + j]);
    mean /= 1024;
    for (int64_t r = 1024; r < 1028; ++r) BOOST_TEST(double(b[r * 32 + j]) == double(float(mean)));
  }
}

BOOST_AUTO_TEST_CASE(imported_weights_give_transformers_logprobs) {
  Scratch s;
  const nlohmann::json g = golden();
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " ckpt import " + kFolder + " --out " + s.path("init.h5"), s.log), 0);
  {
    std::ofstream seqs(s.path("sequences.jsonl"));
    for (const auto& q : g.at("sequences")) seqs << nlohmann::json{{"tokens", q.at("tokens")}}.dump() << "\n";
  }
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " score --ckpt " + s.path("init.h5") + " --in " + s.path("sequences.jsonl") +
                              " --out " + s.path("init_scores.jsonl"), s.log), 0);
  auto scores = read_scores(s.path("init_scores.jsonl"));
  BOOST_REQUIRE_EQUAL(scores.size(), g.at("sequences").size());
  double worst = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    auto ref = g.at("sequences")[i].at("logprobs_f32").get<std::vector<double>>();
    BOOST_REQUIRE_EQUAL(ref.size(), scores[i].size());
    for (size_t t = 0; t < ref.size(); ++t) worst = std::max(worst, std::abs(ref[t] - scores[i][t]));
  }
  BOOST_TEST_MESSAGE("max |r1 - transformers| log-prob: " << worst);
  BOOST_TEST(worst < 1e-4);
}

BOOST_AUTO_TEST_CASE(grpo_on_two_ranks_resumes_after_kill_and_exports) {
  Scratch s;
  const std::string data = s.path("gsm8k.h5");
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " data import gsm8k " + kData + "/gsm8k/test.jsonl --tokenizer " + kFolder +
                              " --template hf --out " + data, s.log), 0);
  const std::string config = s.path("recipe.yaml");
  std::ofstream(config) << recipe(data);
  const std::string dir = s.path("run");
  const std::string command = mpirun_2() + r1_bin() + " run " + config + " run_dir=" + dir;

  BOOST_REQUIRE_EQUAL(run(command, s.log), 0);
  fs::rename(dir, s.path("reference"));

  // Killed with SIGKILL once the first checkpoint is complete — mpirun and every rank (Open MPI puts
  // ranks in process groups of their own, so each process whose command line names this run_dir) —
  // then rerun.
  pid_t pid = start(command, s.log);
  bool killed = false;
  const std::string kill_all = "pkill -KILL -f 'run_dir=" + dir + "$'";
  for (int i = 0; i < 6000 && !killed; ++i) {
    if (read_latest(dir + "/checkpoints")) {
      kill(-pid, SIGKILL);
      std::system(kill_all.c_str());
      killed = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  wait_exit(pid);
  BOOST_REQUIRE(killed);
  for (int i = 0; i < 200 && std::system(("pgrep -f 'run_dir=" + dir + "$' > /dev/null").c_str()) == 0; ++i) {
    std::system(kill_all.c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_REQUIRE_MESSAGE(std::system(("pgrep -f 'run_dir=" + dir + "$' > /dev/null").c_str()) != 0,
                        "ranks of the killed run are still running");
  BOOST_TEST_MESSAGE("killed after " << *read_latest(dir + "/checkpoints"));
  BOOST_REQUIRE_EQUAL(run(command, s.log), 0);

  CheckpointReader a(final_checkpoint(s.path("reference"))), b(final_checkpoint(dir));
  int64_t compared = 0;
  for (const DatasetInfo& d : a.datasets()) {
    auto other = b.find(d.path);
    BOOST_REQUIRE_MESSAGE(other, d.path << " missing after the interrupted run");
    if (d.is_text) continue;  // paths inside the state differ (run folders)
    BOOST_TEST(same_bits(a.read(d.path), b.read(d.path)), d.path << " differs");
    ++compared;
  }
  BOOST_TEST(compared >= 20);
  // Three GRPO steps logged, with rewards that differ within groups (a real update).
  int64_t grpo_lines = 0;
  double reward_std = 0;
  std::ifstream metrics(dir + "/metrics.jsonl");
  for (std::string line; std::getline(metrics, line);) {
    nlohmann::json m = nlohmann::json::parse(line);
    if (m.value("kind", "") != "grpo") continue;
    ++grpo_lines;
    reward_std = std::max(reward_std, m.at("reward/std").get<double>());
  }
  BOOST_TEST(grpo_lines == 3);
  BOOST_TEST(reward_std > 0);
  // The weights moved away from the starting folder's.
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " ckpt import " + kFolder + " --out " + s.path("start.h5"), s.log), 0);
  CheckpointReader start_weights(s.path("start.h5"));
  BOOST_TEST(!same_bits(start_weights.read("/model/model.layers.0.self_attn.q_proj.weight"),
                        b.read("/model/model.layers.0.self_attn.q_proj.weight")));

  // Export: a whole Hugging Face folder; its re-import holds the trained weights bit for bit.
  const std::string exported = s.path("export");
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " ckpt export " + final_checkpoint(dir) + " --out " + exported, s.log), 0);
  for (const char* name : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                           "generation_config.json"})
    BOOST_TEST(fs::exists(exported + "/" + name), name << " missing from the export");
  std::ifstream tokenizer_config(exported + "/tokenizer_config.json");
  BOOST_TEST(nlohmann::json::parse(tokenizer_config).contains("chat_template"));
  BOOST_REQUIRE_EQUAL(run(r1_bin() + " ckpt import " + exported + " --out " + s.path("reimport.h5"), s.log), 0);
  CheckpointReader reimport(s.path("reimport.h5"));
  int64_t weights = 0;
  for (const DatasetInfo& d : b.datasets()) {
    if (d.path.rfind("/model/", 0) != 0) continue;
    BOOST_TEST(same_bits(b.read(d.path), reimport.read(d.path)), d.path << " differs after export + import");
    ++weights;
  }
  BOOST_TEST(weights >= 20);
  const nlohmann::json g = golden();
  {
    std::ofstream seqs(s.path("sequences.jsonl"));
    for (const auto& q : g.at("sequences")) seqs << nlohmann::json{{"tokens", q.at("tokens")}}.dump() << "\n";
  }
  for (const std::string& ckpt : {final_checkpoint(dir), s.path("reimport.h5")})
    BOOST_REQUIRE_EQUAL(run(r1_bin() + " score --ckpt " + ckpt + " --in " + s.path("sequences.jsonl") + " --out " + ckpt +
                                ".scores.jsonl", s.log), 0);
  BOOST_TEST(read_scores(final_checkpoint(dir) + ".scores.jsonl") == read_scores(s.path("reimport.h5") + ".scores.jsonl"));
}

BOOST_AUTO_TEST_SUITE_END()
