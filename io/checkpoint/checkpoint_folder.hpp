// The checkpoint folder: files step_<N>.h5 (complete once renamed from step_<N>.h5.tmp), and the
// `latest` record, a one-line text file naming the newest complete checkpoint, replaced atomically.
// Restart picks the newest checkpoint that is recorded (the one `latest` names, or an older one)
// and passes verification; anything else is skipped with a log line naming the file and the reason.
// These functions touch only the file system (no MPI) except the Comm overload of
// find_newest_valid_checkpoint; call the others from one rank.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/checkpoint/checkpoint_options.hpp"
#include "parallel/comm.hpp"

namespace r1 {

inline constexpr const char* kLatestRecordName = "latest";

using CheckpointLog = std::function<void(const std::string&)>;

struct CheckpointEntry {
  int64_t step = 0;
  std::string file_name;  // "step_12.h5"
  std::string path;       // "<dir>/step_12.h5"
};

std::string checkpoint_file_name(int64_t step);  // "step_<step>.h5"
// The step of a completed checkpoint file name "step_<digits>.h5"; nullopt for anything else.
std::optional<int64_t> checkpoint_step_of(const std::string& file_name);

// The file name held by a `latest` record's text: one line, a plain file name (no '/'), optionally
// followed by a newline. InputError naming `source` otherwise.
std::string parse_latest_record(const std::string& text, const std::string& source);

// Records `file_name` (which must exist in `dir`) as the newest complete checkpoint: writes
// latest.tmp, fsyncs it, renames it to `latest` and fsyncs the folder.
void commit_latest(const std::string& dir, const std::string& file_name);
// The file name `latest` records; nullopt when there is no record; InputError when it is malformed.
std::optional<std::string> read_latest(const std::string& dir);

// Completed checkpoint files in `dir`, oldest step first (.tmp files and other names are ignored).
std::vector<CheckpointEntry> list_checkpoints(const std::string& dir);

// Removes all but the newest `keep_newest_k` completed checkpoints, never the one `latest` names,
// plus leftover .tmp files of steps before the latest one. Returns the removed paths.
std::vector<std::string> prune_checkpoints(const std::string& dir, int64_t keep_newest_k);

// The newest checkpoint in `dir` that is complete and verifies: the one `latest` names, else older
// ones in turn (without a `latest` record: every completed file, newest first). Files newer than
// the latest record (commit incomplete), leftover .tmp files (half-written), unreadable files
// (truncated, not HDF5) and files failing verification (checksum mismatch: the failing datasets are
// named) are skipped, each with a log line naming the path and the reason. nullopt when none is
// usable. This process alone reads and verifies each candidate.
std::optional<std::string> find_newest_valid_checkpoint(const std::string& dir, const CheckpointLog& log);
// Collective: rank 0 lists the folder, candidates are opened and verified by every rank together
// (the checksum work is shared), and every rank returns the same answer. `log` runs on every rank.
std::optional<std::string> find_newest_valid_checkpoint(const std::string& dir, const Comm& comm,
                                                        const CheckpointIoOptions& options, const CheckpointLog& log);

}  // namespace r1
