// Per-op GPU time, for finding where a training or decode step spends its time: with
// runtime.profile_ops (R1_PROFILE_OPS=1), every dispatched CUDA op is bracketed by a pair of CUDA
// events on the one stream, and op_profile_report() sums the elapsed times per op name (plus the
// span from the first to the last event, so idle gaps between ops show up as the difference).
// Scopes opened inside an op (phases of one kernel file) are listed apart, marked "(inside)".
// Off by default: the events cost a little and nothing is recorded. Inside a recorded CUDA graph the
// events are graph nodes; each replay waits for the device and adds their times (a profile of graph
// replays, slower than unprofiled replays by that wait).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "core/runtime_settings.hpp"
#include "kernels/cuda/cuda_common.cuh"
#include "kernels/cuda/cuda_ops.hpp"

namespace r1::ops::cuda {

namespace {

struct Total {
  double ms = 0;
  int64_t calls = 0;
};

struct Profiler {
  bool enabled = false;
  std::vector<OpRecord> records;   // this window's, in order
  std::vector<cudaEvent_t> spare;  // events of earlier windows, for reuse
  int depth = 0;                   // scopes open now
  // While a graph is recorded, its scopes' events become graph nodes: their records go to
  // `recording` and then to the graph, which reports them after each replay (add_replay).
  std::vector<OpRecord>* recording = nullptr;
  std::map<std::string, Total> replay_totals;  // this window's replays
  double replay_busy = 0, replay_span = 0;
  int64_t replays = 0;

  Profiler() {
    enabled = runtime_settings().profile_ops;
  }
  cudaEvent_t event() {
    if (!spare.empty()) {
      cudaEvent_t e = spare.back();
      spare.pop_back();
      return e;
    }
    cudaEvent_t e;
    CUDA_CHECK(cudaEventCreate(&e));
    return e;
  }
};

// In a graph being recorded, an event record is only a dependency marker unless it is external: then
// it becomes a node that records the event at every replay.
cudaError_t record_event(cudaEvent_t e, bool in_graph) {
  return in_graph ? cudaEventRecordWithFlags(e, stream(), cudaEventRecordExternal) : cudaEventRecord(e, stream());
}

Profiler& profiler() {
  static Profiler* p = new Profiler;  // never destroyed: events outlive static destruction order
  return *p;
}

}  // namespace

bool op_profiling() { return profiler().enabled; }

OpProfileScope::OpProfileScope(const char* name) {
  Profiler& p = profiler();
  if (!p.enabled) return;
  std::vector<OpRecord>& list = p.recording ? *p.recording : p.records;
  record_ = list.size();
  list.push_back({name, p.event(), p.event(), p.depth++});
  CUDA_CHECK(record_event(list.back().begin, p.recording != nullptr));
}

OpProfileScope::~OpProfileScope() {
  Profiler& p = profiler();
  if (!p.enabled) return;
  if (record_ == size_t(-1)) return;
  --p.depth;
  std::vector<OpRecord>& list = p.recording ? *p.recording : p.records;
  if (record_ < list.size()) (void)record_event(list[record_].end, p.recording != nullptr);  // errors surface at the report
}

void op_profile_begin_recording(std::vector<OpRecord>* records) { profiler().recording = records; }

void op_profile_add_replay(const std::vector<OpRecord>& records) {
  Profiler& p = profiler();
  if (!p.enabled || records.empty()) return;
  CUDA_CHECK(cudaStreamSynchronize(stream()));
  for (const OpRecord& r : records) {
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, r.begin, r.end));
    Total& t = p.replay_totals[r.depth == 0 ? std::string(r.name) : std::string("  (inside) ") + r.name];
    t.ms += ms;
    t.calls += 1;
    if (r.depth == 0) p.replay_busy += ms;
  }
  size_t last = records.size() - 1;
  while (last > 0 && records[last].depth != 0) --last;
  float span = 0;
  CUDA_CHECK(cudaEventElapsedTime(&span, records.front().begin, records[last].end));
  p.replay_span += span;
  ++p.replays;
}

void op_profile_release(const std::vector<OpRecord>& records) {
  Profiler& p = profiler();
  for (const OpRecord& r : records) {
    p.spare.push_back(r.begin);
    p.spare.push_back(r.end);
  }
}

std::string op_profile_report() {
  Profiler& p = profiler();
  if (!p.enabled || (p.records.empty() && p.replays == 0)) return {};
  CUDA_CHECK(cudaStreamSynchronize(stream()));
  std::map<std::string, Total> totals = p.replay_totals;
  double busy = p.replay_busy;
  for (const OpRecord& r : p.records) {
    float ms = 0;
    CUDA_CHECK(cudaEventElapsedTime(&ms, r.begin, r.end));
    Total& t = totals[r.depth == 0 ? std::string(r.name) : std::string("  (inside) ") + r.name];
    t.ms += ms;
    t.calls += 1;
    if (r.depth == 0) busy += ms;
  }
  float span = 0;
  if (!p.records.empty()) {
    size_t last = p.records.size() - 1;
    while (last > 0 && p.records[last].depth != 0) --last;
    CUDA_CHECK(cudaEventElapsedTime(&span, p.records.front().begin, p.records[last].end));
  }
  std::vector<std::pair<std::string, Total>> rows(totals.begin(), totals.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "op profile: %.1f ms in ops over a %.1f ms span (%zu calls)\n", busy, span,
                p.records.size());
  out += line;
  if (p.replays > 0) {
    std::snprintf(line, sizeof line,
                  "  (the ops include %lld replays of recorded graphs: %.1f ms in their ops over %.1f ms of replay spans)\n",
                  static_cast<long long>(p.replays), p.replay_busy, p.replay_span);
    out += line;
  }
  for (const auto& [name, t] : rows) {
    std::snprintf(line, sizeof line, "  %-28s %10.2f ms %5.1f%% %8lld calls %9.1f us/call\n", name.c_str(), t.ms,
                  100.0 * t.ms / busy, static_cast<long long>(t.calls), 1000.0 * t.ms / double(t.calls));
    out += line;
  }
  op_profile_reset();
  return out;
}

void op_profile_reset() {
  Profiler& p = profiler();
  p.replay_totals.clear();
  p.replay_busy = p.replay_span = 0;
  p.replays = 0;
  for (const OpRecord& r : p.records) {
    p.spare.push_back(r.begin);
    p.spare.push_back(r.end);
  }
  p.records.clear();
}

}  // namespace r1::ops::cuda
