// MetricSums: a step's statistics as named sums. The names are fixed at construction, alike on every
// rank and in the same order, so the sums reduce element-wise over a communicator (every rank then
// holds the job's totals, the same bits on every rank). Hot loops add through a slot taken once;
// the derived values (means, standard deviations, shares) go into the metrics record under their
// metric names.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "parallel/comm.hpp"

namespace r1 {

class MetricSums {
 public:
  explicit MetricSums(std::vector<std::string> names);
  // The slot of `name` (R1_CHECK: declared).
  size_t slot(std::string_view name) const;
  double& operator[](size_t slot) { return values_[slot]; }
  double& operator[](std::string_view name) { return values_[slot(name)]; }
  double operator[](std::string_view name) const { return values_[slot(name)]; }
  // Collective over `comm`: every sum becomes the sum over its ranks.
  void allreduce(const Comm& comm);

  // sum / max(1, count)
  double mean(std::string_view sum, std::string_view count) const;
  // sum / count, or 0 without any count
  double mean_or_zero(std::string_view sum, std::string_view count) const;
  // sqrt(max(0, E[x^2] - E[x]^2)) with E over max(1, count)
  double std_dev(std::string_view sum, std::string_view sum_sq, std::string_view count) const;

  // record[metric] = mean(sum, count), and likewise for the other statistics.
  void write_mean(nlohmann::json& record, const std::string& metric, std::string_view sum, std::string_view count) const;
  void write_mean_or_zero(nlohmann::json& record, const std::string& metric, std::string_view sum,
                          std::string_view count) const;
  void write_std(nlohmann::json& record, const std::string& metric, std::string_view sum, std::string_view sum_sq,
                 std::string_view count) const;

 private:
  std::vector<std::string> names_;
  std::vector<double> values_;
};

}  // namespace r1
