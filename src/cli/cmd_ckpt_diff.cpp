// `r1 ckpt diff A.h5 B.h5`: compares two checkpoint files dataset by dataset — every numeric
// dataset byte for byte (bit-identical runs give identical files), text datasets as text — and lists
// datasets that differ or exist in one file only. Attributes are not compared: some legitimately
// differ between runs that computed the same state (e.g. /state's metrics_bytes). Exit code 0 when
// identical, 1 when they differ, 2 when a file cannot be read (like cmp and diff), so a job script
// or a test can check that a resumed run ended exactly where an uninterrupted one did.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "cli/command.hpp"
#include "io/checkpoint/checkpoint_file.hpp"

namespace r1::cli {

namespace {

constexpr int64_t kBlockBytes = int64_t(64) << 20;  // rows are read in blocks of at most this size

std::string type_str(const DatasetInfo& d) {
  return d.is_text ? std::string("text") : std::string(dtype_name(d.dtype)) + " " + shape_str(d.shape);
}

// Element `i` of a float-typed block as double (for the size of a difference); 0 for integer types.
double element_value(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::f32: return double(t.data<float>()[i]);
    case DType::f64: return t.data<double>()[i];
    case DType::bf16: return double(float(t.data<bf16>()[i]));
    default: return 0.0;
  }
}

// Compares two numeric datasets of equal shape and dtype in blocks of whole rows; returns an empty
// string when the bytes are identical, else what differs.
std::string compare_numeric(const CheckpointReader& a, const CheckpointReader& b, const DatasetInfo& d) {
  const bool is_float = d.dtype == DType::f32 || d.dtype == DType::f64 || d.dtype == DType::bf16;
  const size_t elem = dtype_size(d.dtype);
  const int64_t total = shape_numel(d.shape);
  int64_t differing = 0, first_index = -1, element_offset = 0;
  double max_abs = 0.0;
  auto compare_block = [&](const Tensor& ta, const Tensor& tb) {
    const auto* pa = static_cast<const unsigned char*>(ta.raw());
    const auto* pb = static_cast<const unsigned char*>(tb.raw());
    const int64_t n = ta.numel();
    if (n > 0 && std::memcmp(pa, pb, size_t(n) * elem) != 0) {
      for (int64_t i = 0; i < n; ++i) {
        if (std::memcmp(pa + size_t(i) * elem, pb + size_t(i) * elem, elem) == 0) continue;
        ++differing;
        if (first_index < 0) first_index = element_offset + i;
        if (is_float) {
          double diff = std::fabs(element_value(ta, i) - element_value(tb, i));
          if (std::isnan(diff) || diff > max_abs) max_abs = std::isnan(diff) ? INFINITY : diff;
        }
      }
    }
    element_offset += n;
  };
  if (d.shape.empty()) {
    compare_block(a.read(d.path), b.read(d.path));
  } else {
    const int64_t rows = d.shape[0];
    const int64_t row_elems = rows > 0 ? total / rows : 0;
    const int64_t row_bytes = std::max<int64_t>(1, row_elems * int64_t(elem));
    const int64_t block_rows = std::max<int64_t>(1, kBlockBytes / row_bytes);
    for (int64_t r = 0; r < rows; r += block_rows) {
      const int64_t count = std::min(block_rows, rows - r);
      compare_block(a.read_rows(d.path, r, count), b.read_rows(d.path, r, count));
    }
  }
  if (differing == 0) return "";
  std::ostringstream s;
  s << differing << " of " << total << " elements differ (first at element " << first_index << ")";
  if (is_float) s << ", max |a-b| " << max_abs;
  return s.str();
}

// Returns an empty string when the texts are equal, else the first differing line of each.
std::string compare_text(const std::string& ta, const std::string& tb) {
  if (ta == tb) return "";
  std::istringstream sa(ta), sb(tb);
  std::string la, lb;
  int64_t line = 0;
  while (true) {
    ++line;
    const bool ha = bool(std::getline(sa, la)), hb = bool(std::getline(sb, lb));
    if (!ha) la = "(end of text)";
    if (!hb) lb = "(end of text)";
    if (la != lb || !ha || !hb) break;
  }
  auto clip = [](std::string t) { return t.size() > 100 ? t.substr(0, 100) + "..." : t; };
  return "text differs at line " + std::to_string(line) + ": '" + clip(la) + "' vs '" + clip(lb) + "'";
}

int ckpt_diff(const Args& a, const Comm& world) {
  if (world.rank() != 0) return 0;
  const std::string& path_a = a.positionals[0];
  const std::string& path_b = a.positionals[1];
  CheckpointReader ra(path_a), rb(path_b);
  std::vector<std::string> problems;
  int64_t compared = 0;
  for (const DatasetInfo& da : ra.datasets()) {
    std::optional<DatasetInfo> db = rb.find(da.path);
    if (!db) {
      problems.push_back("only in " + path_a + ": " + da.path + " (" + type_str(da) + ")");
      continue;
    }
    ++compared;
    std::string why;
    if (da.is_text != db->is_text || da.dtype != db->dtype || da.shape != db->shape) {
      why = type_str(da) + " vs " + type_str(*db);
    } else if (da.is_text) {
      why = compare_text(ra.read_string(da.path), rb.read_string(da.path));
    } else {
      why = compare_numeric(ra, rb, da);
    }
    if (!why.empty()) problems.push_back("differs: " + da.path + " (" + type_str(da) + "): " + why);
  }
  for (const DatasetInfo& db : rb.datasets())
    if (!ra.find(db.path)) problems.push_back("only in " + path_b + ": " + db.path + " (" + type_str(db) + ")");

  if (problems.empty()) {
    std::cout << path_a << " and " << path_b << ": identical (" << compared << " datasets)\n";
    return 0;
  }
  for (const std::string& p : problems) std::cout << "  " << p << "\n";
  std::cout << path_a << " and " << path_b << ": DIFFER (" << problems.size() << " dataset(s) differ or are missing; "
            << compared << " present in both)\n";
  return 1;
}

Registrar reg(Command{"ckpt diff", "compare two r1 checkpoint files dataset by dataset",
                      "Compares every dataset of A and B: numeric datasets byte for byte (reporting how many elements\n"
                      "differ and, for floating-point data, the largest difference), text datasets as text, and lists\n"
                      "datasets present in only one file. Attributes are not compared. Exit code: 0 identical, 1 they\n"
                      "differ, 2 a file cannot be read as a checkpoint.",
                      {{"A", "r1 checkpoint file (.h5)"}, {"B", "r1 checkpoint file (.h5)"}},
                      {},
                      false,
                      false,
                      ckpt_diff});

}  // namespace

}  // namespace r1::cli
