// Checkpoint folder management: the `latest` record, listing, pruning and the restart choice.
#include "io/checkpoint/checkpoint_folder.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "io/checkpoint/checkpoint_agreement.hpp"
#include "io/checkpoint/checkpoint_file.hpp"
#include "io/checkpoint/checkpoint_fsync.hpp"

namespace r1 {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTmpSuffix = ".tmp";

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string join_path(const std::string& dir, const std::string& name) { return (fs::path(dir) / name).string(); }

// Leftover "<checkpoint>.tmp" files (half-written checkpoints), with the step of their checkpoint.
std::vector<CheckpointEntry> list_leftover_tmp_files(const std::string& dir) {
  std::vector<CheckpointEntry> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!ends_with(name, kTmpSuffix)) continue;
    std::optional<int64_t> step = checkpoint_step_of(name.substr(0, name.size() - 4));
    if (step) out.push_back({*step, name, entry.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

// What restart will try, decided from the folder alone: candidates newest first, and log lines for
// the files ruled out before any is opened.
struct RestartPlan {
  std::vector<std::string> candidates;
  std::vector<std::string> notes;
};

RestartPlan plan_restart(const std::string& dir) {
  RestartPlan plan;
  std::vector<CheckpointEntry> completed = list_checkpoints(dir);
  std::reverse(completed.begin(), completed.end());
  for (const CheckpointEntry& tmp : list_leftover_tmp_files(dir))
    plan.notes.push_back("checkpoint " + tmp.path + " skipped: missing commit (half-written .tmp, never renamed)");

  std::optional<std::string> latest;
  bool latest_unusable = false;
  try {
    latest = read_latest(dir);
  } catch (const InputError& e) {
    latest_unusable = true;
    plan.notes.push_back(std::string("latest record unusable (") + e.what() +
                         "); considering every completed checkpoint");
  }
  if (!latest) {
    if (!completed.empty() && !latest_unusable)
      plan.notes.push_back("no latest record in " + dir + "; considering every completed checkpoint, newest first");
    for (const CheckpointEntry& e : completed) plan.candidates.push_back(e.path);
    return plan;
  }

  std::string latest_path = join_path(dir, *latest);
  std::optional<int64_t> latest_step = checkpoint_step_of(*latest);
  bool latest_exists = fs::is_regular_file(latest_path);
  if (!latest_exists)
    plan.notes.push_back("latest record names " + latest_path + ", which is missing; considering older checkpoints");
  else if (!latest_step)
    plan.candidates.push_back(latest_path);  // a non-standard name: tried first, then every step file
  for (const CheckpointEntry& e : completed) {
    if (latest_step && e.step > *latest_step) {
      plan.notes.push_back("checkpoint " + e.path + " skipped: missing commit (newer than the latest record " +
                           *latest + "; its commit did not finish)");
      continue;
    }
    plan.candidates.push_back(e.path);
  }
  return plan;
}

// Tries the plan's candidates in order with `check` (nullopt = usable, else the reason).
std::optional<std::string> choose_candidate(const RestartPlan& plan,
                                            const std::function<std::optional<std::string>(const std::string&)>& check,
                                            const CheckpointLog& log) {
  for (const std::string& note : plan.notes) log(note);
  for (size_t i = 0; i < plan.candidates.size(); ++i) {
    const std::string& path = plan.candidates[i];
    std::optional<std::string> reason = check(path);
    if (!reason) {
      if (i > 0) log("using the older checkpoint " + path);
      return path;
    }
    log("checkpoint " + path + " skipped: " + *reason);
  }
  return std::nullopt;
}

std::optional<std::string> verification_problem(const std::function<CheckpointReader()>& open) {
  try {
    VerifyResult result = open().verify();
    if (result.ok()) return std::nullopt;
    return "failed verification: " + result.summary();
  } catch (const Error& e) {
    return std::string("unreadable: ") + e.what();
  }
}

}  // namespace

std::string checkpoint_file_name(int64_t step) {
  R1_CHECK(step >= 0, "checkpoint step must be >= 0, got ", step);
  return "step_" + std::to_string(step) + ".h5";
}

std::optional<int64_t> checkpoint_step_of(const std::string& file_name) {
  const std::string prefix = "step_", suffix = ".h5";
  if (file_name.size() <= prefix.size() + suffix.size() || file_name.rfind(prefix, 0) != 0 ||
      !ends_with(file_name, suffix))
    return std::nullopt;
  std::string digits = file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(digits);
}

std::string parse_latest_record(const std::string& text, const std::string& source) {
  std::string name = text;
  if (ends_with(name, "\n")) name.pop_back();
  if (ends_with(name, "\r")) name.pop_back();
  R1_INPUT_CHECK(!name.empty(), source, ": empty; expected one line naming a checkpoint file");
  R1_INPUT_CHECK(name.find_first_of(std::string("/\n\r\0", 4)) == std::string::npos && name != "." && name != "..",
                 source, ": expected one line naming a checkpoint file in the same folder, got '", name, "'");
  return name;
}

void commit_latest(const std::string& dir, const std::string& file_name) {
  std::string name = parse_latest_record(file_name, "commit_latest(" + dir + ")");
  R1_INPUT_CHECK(fs::is_regular_file(join_path(dir, name)), "commit_latest: ", join_path(dir, name), " does not exist");
  replace_file_atomically(join_path(dir, kLatestRecordName), name + "\n");
}

std::optional<std::string> read_latest(const std::string& dir) {
  std::string path = join_path(dir, kLatestRecordName);
  if (!fs::exists(path)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  R1_INPUT_CHECK(in, path, ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_latest_record(text.str(), path);
}

std::vector<CheckpointEntry> list_checkpoints(const std::string& dir) {
  std::vector<CheckpointEntry> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    std::optional<int64_t> step = checkpoint_step_of(name);
    if (step && entry.is_regular_file()) out.push_back({*step, name, entry.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::vector<std::string> prune_checkpoints(const std::string& dir, int64_t keep_newest_k) {
  R1_INPUT_CHECK(keep_newest_k >= 0, "checkpoint pruning: keep count must be >= 0, got ", keep_newest_k);
  std::optional<std::string> latest = read_latest(dir);
  std::optional<int64_t> latest_step = latest ? checkpoint_step_of(*latest) : std::nullopt;
  std::vector<CheckpointEntry> completed = list_checkpoints(dir);
  std::vector<std::string> removed;
  int64_t excess = int64_t(completed.size()) - keep_newest_k;
  for (int64_t i = 0; i < excess; ++i) {
    const CheckpointEntry& e = completed[size_t(i)];
    if (latest && e.file_name == *latest) continue;
    fs::remove(e.path);
    removed.push_back(e.path);
  }
  if (latest_step)
    for (const CheckpointEntry& tmp : list_leftover_tmp_files(dir))
      if (tmp.step < *latest_step) {
        fs::remove(tmp.path);
        removed.push_back(tmp.path);
      }
  if (!removed.empty()) fsync_directory(dir);
  return removed;
}

std::optional<std::string> find_newest_valid_checkpoint(const std::string& dir, const CheckpointLog& log) {
  RestartPlan plan = plan_restart(dir);
  return choose_candidate(
      plan, [](const std::string& path) { return verification_problem([&] { return CheckpointReader(path); }); }, log);
}

std::optional<std::string> find_newest_valid_checkpoint(const std::string& dir, const Comm& comm,
                                                        const CheckpointIoOptions& options, const CheckpointLog& log) {
  RestartPlan plan;
  RankFailure failure;
  if (comm.rank() == 0) run_recording_failure(failure, [&] { plan = plan_restart(dir); });
  raise_if_any_rank_failed(comm, failure);
  std::string candidates, notes;
  for (const std::string& c : plan.candidates) candidates += c + '\n';
  for (const std::string& n : plan.notes) notes += n + '\n';
  comm.broadcast(candidates, 0);
  comm.broadcast(notes, 0);
  plan = {};
  std::istringstream candidate_lines(candidates), note_lines(notes);
  for (std::string line; std::getline(candidate_lines, line);) plan.candidates.push_back(line);
  for (std::string line; std::getline(note_lines, line);) plan.notes.push_back(line);
  return choose_candidate(
      plan,
      [&](const std::string& path) {
        return verification_problem([&] { return CheckpointReader(path, comm, options); });
      },
      log);
}

}  // namespace r1
