// Plain-text tables of a rank plan.
#include "cli/plan_report.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>

#include "core/log.hpp"

namespace r1::cli {

namespace {

// Columns padded to their widest cell; the first two left-aligned, the rest right-aligned.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str() const {
    std::vector<size_t> width(rows_.front().size(), 0);
    for (auto& r : rows_)
      for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    std::string out;
    for (auto& r : rows_) {
      std::string line;
      for (size_t i = 0; i < r.size(); ++i) {
        const std::string pad(width[i] - r[i].size(), ' ');
        line += (i ? "  " : "") + (i < 2 ? r[i] + pad : pad + r[i]);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string bytes_or_dash(double b) { return b > 0 ? format_bytes(b) : "-"; }

std::string layer_range(const PipelineStagePlan& s) {
  if (s.layer_end - s.layer_begin == 1) return std::to_string(s.layer_begin);
  return std::to_string(s.layer_begin) + "-" + std::to_string(s.layer_end - 1);
}

std::string extras(const PipelineStagePlan& s) {
  std::string e;
  auto add = [&](const char* w) { e += (e.empty() ? "" : "+") + std::string(w); };
  if (s.holds_embedding) add("embed");
  if (s.has_head) add("head");
  if (s.memory.params.mtp.total > 0) add("MTP");
  return e.empty() ? "-" : e;
}

using RowCells = std::function<std::vector<std::string>(const PipelineStagePlan&)>;

// Groups of consecutive stages whose rows (in every table) are identical.
std::vector<std::pair<size_t, size_t>> stage_groups(const std::vector<PipelineStagePlan>& stages,
                                                    const std::vector<RowCells>& tables) {
  auto key = [&](const PipelineStagePlan& s) {
    std::string k;
    for (auto& t : tables)
      for (auto& cell : t(s)) k += cell + "|";
    return k;
  };
  std::vector<std::pair<size_t, size_t>> groups;
  for (size_t i = 0; i < stages.size(); ++i) {
    if (!groups.empty() && key(stages[groups.back().first]) == key(stages[i]) &&
        stages[i].layer_end - stages[i].layer_begin == stages[groups.back().first].layer_end - stages[groups.back().first].layer_begin)
      groups.back().second = i;
    else
      groups.push_back({i, i});
  }
  return groups;
}

std::string group_label(const std::vector<PipelineStagePlan>& stages, std::pair<size_t, size_t> g) {
  if (g.first == g.second) return std::to_string(stages[g.first].stage);
  return std::to_string(stages[g.first].stage) + "-" + std::to_string(stages[g.second].stage);
}

std::string group_layers(const std::vector<PipelineStagePlan>& stages, std::pair<size_t, size_t> g) {
  const PipelineStagePlan &a = stages[g.first], &b = stages[g.second];
  if (g.first == g.second) return layer_range(a);
  return std::to_string(a.layer_begin) + "-" + std::to_string(b.layer_end - 1) + " (" +
         std::to_string(a.layer_end - a.layer_begin) + " each)";
}

}  // namespace

std::string format_bytes(double b) {
  char buf[32];
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1000.0 && u < 4) b /= 1024.0, ++u;  // "0.99 MiB" rather than "1010 KiB"
  if (u == 0) std::snprintf(buf, sizeof buf, "%.0f B", b);
  else if (b >= 100) std::snprintf(buf, sizeof buf, "%.0f %s", b, units[u]);
  else if (b >= 10) std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
  else std::snprintf(buf, sizeof buf, "%.2f %s", b, units[u]);
  return buf;
}

std::string render_plan_tables(const std::vector<PipelineStagePlan>& stages, const GridLayout& grid,
                               const PlanReportOptions& o) {
  const double gib = 1024.0 * 1024.0 * 1024.0;
  // Memory per rank.
  std::vector<std::string> mem_header = {"stage", "layers", "also", "parameters", "weights", "grads"};
  if (o.training)
    for (const char* h : {"AdamW m+v", "saved/micro", "in flight", "activations", "LM head buf"}) mem_header.push_back(h);
  if (o.generation) mem_header.push_back("KV cache");
  mem_header.push_back("other");
  if (o.training) mem_header.push_back("train total");
  if (o.generation) mem_header.push_back("gen total");
  if (o.memory_limit_gib > 0) mem_header.push_back("fits " + format_bytes(o.memory_limit_gib * gib) + "?");
  RowCells mem_cells = [&](const PipelineStagePlan& s) {
    const StageMemory& m = s.memory;
    std::vector<std::string> r = {extras(s), format_count(double(m.params.total().total)),
                                  format_bytes(double(m.compute_weights + m.master_weights)), format_bytes(double(m.grads))};
    if (o.training) {
      r.push_back(bytes_or_dash(double(m.optimizer)));
      r.push_back(bytes_or_dash(double(m.activations_per_micro_batch)));
      r.push_back("x" + std::to_string(m.in_flight));
      r.push_back(bytes_or_dash(double(m.activations)));
      r.push_back(bytes_or_dash(double(m.lm_head_buffer)));
    }
    if (o.generation) r.push_back(bytes_or_dash(double(m.kv_cache)));
    r.push_back(bytes_or_dash(double(m.rope_tables + m.reference_model)));
    if (o.training) r.push_back(format_bytes(double(m.training_peak())));
    if (o.generation) r.push_back(format_bytes(double(m.generation_peak())));
    if (o.memory_limit_gib > 0) {
      const double over = double(o.training ? m.peak() : m.generation_peak()) - o.memory_limit_gib * gib;
      r.push_back(over <= 0 ? "yes" : "no, +" + format_bytes(over));
    }
    return r;
  };
  // Optimizer-side state: r1 against ZeRO-1 / BF16 moments.
  RowCells opt_cells = [&](const PipelineStagePlan& s) {
    const StageMemory& m = s.memory;
    const int64_t now = m.master_weights + m.optimizer;
    return std::vector<std::string>{format_bytes(double(now)), format_bytes(double(m.optimizer_zero1)),
                                    format_bytes(double(m.optimizer_bf16_moments)),
                                    format_bytes(double(m.optimizer_zero1_bf16_moments)),
                                    format_bytes(double(m.training_peak() - now + m.optimizer_zero1_bf16_moments))};
  };
  RowCells comm_cells = [&](const PipelineStagePlan& s) {
    const StageComm& c = s.comm;
    return std::vector<std::string>{bytes_or_dash(c.grad_allreduce_dense), bytes_or_dash(c.grad_allreduce_expert),
                                    bytes_or_dash(c.embedding_sync),       bytes_or_dash(c.router_load),
                                    bytes_or_dash(c.all_to_all),           bytes_or_dash(c.pipeline),
                                    format_bytes(c.total())};
  };
  std::vector<RowCells> tables = {mem_cells};
  if (o.training) tables.push_back(opt_cells), tables.push_back(comm_cells);
  const auto groups = stage_groups(stages, tables);

  auto table = [&](std::vector<std::string> header, const RowCells& cells) {
    TextTable t(std::move(header));
    for (auto g : groups) {
      std::vector<std::string> row = {group_label(stages, g), group_layers(stages, g)};
      for (auto& c : cells(stages[g.first])) row.push_back(c);
      t.add(row);
    }
    return t.str();
  };
  std::string out = "\nMemory per rank\n" + table(mem_header, mem_cells);
  out += "  weights: compute weights (+ f32 master weights under the cuda policy); other: RoPE tables";
  out += stages.front().memory.reference_model > 0 ? " + the frozen reference model\n" : "\n";
  if (o.training) {
    out += "  saved/micro: what one micro-batch's forward keeps for its backward; in flight: 1F1B keeps pp - stage\n"
           "  micro-batches' activations (capped by the micro-batches per step)\n";
    out += "\nWhat sharding the optimizer state would save (r1 keeps a full copy per rank; ZeRO-1 and BF16 moments are reference columns, not r1 options): f32 master weights + AdamW moments per rank\n";
    out += table({"stage", "layers", "r1 (full copy)", "ZeRO-1", "BF16 moments", "ZeRO-1 + BF16 moments", "train total then"},
                  opt_cells);
    out += "  ZeRO-1 shards the state of dense parameters over dp = " + std::to_string(grid.dp) +
           " and of expert parameters over their " + std::to_string(grid.dp / grid.ep) +
           " replicas; DeepSeek-V3 trains with ZeRO-1 and BF16 moments\n";
    out += "\nCommunication per optimizer step per rank (bytes sent; about as many are received)\n";
    out += table({"stage", "layers", "dense grads", "expert grads", "embedding", "router loads", "MoE all-to-all", "pipeline",
                  "total"},
                 comm_cells);
    out += "  grads: ring all-reduce (2 (n-1)/n of the f32 buffer) over dp = " + std::to_string(grid.dp) +
           " (dense) and over the " + std::to_string(grid.dp / grid.ep) +
           " replicas of each expert shard; embedding: the first and last stage share it (MTP or tied head)\n"
           "  MoE all-to-all: T x top_k routed rows per MoE layer and micro-batch, the (ep-1)/ep leaving the rank under\n"
           "  balanced routing, dispatch + combine in the forward and again in the backward (ep = " +
           std::to_string(grid.ep) + ")\n"
           "  pipeline: [T, hidden] activations to the next stage, their gradients to the previous one\n";
  }
  out += "\nNot counted: transient buffers of one layer's forward/backward, communication buffers, the CUDA context and\n"
         "allocator fragmentation.\n";
  return out;
}

}  // namespace r1::cli
