// MetricSums: lookup, reduction, derived statistics.
#include "engine/metric_sums.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace r1 {

MetricSums::MetricSums(std::vector<std::string> names) : names_(std::move(names)), values_(names_.size(), 0.0) {}

size_t MetricSums::slot(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name) return i;
  R1_CHECK(false, "metric sum '", std::string(name), "' was not declared");
  return 0;
}

void MetricSums::allreduce(const Comm& comm) { comm.allreduce(values_); }

double MetricSums::mean(std::string_view sum, std::string_view count) const {
  return (*this)[sum] / std::max(1.0, (*this)[count]);
}

double MetricSums::mean_or_zero(std::string_view sum, std::string_view count) const {
  const double n = (*this)[count];
  return n > 0 ? (*this)[sum] / n : 0.0;
}

double MetricSums::std_dev(std::string_view sum, std::string_view sum_sq, std::string_view count) const {
  const double n = std::max(1.0, (*this)[count]), m = (*this)[sum] / n;
  return std::sqrt(std::max(0.0, (*this)[sum_sq] / n - m * m));
}

void MetricSums::write_mean(nlohmann::json& record, const std::string& metric, std::string_view sum,
                            std::string_view count) const {
  record[metric] = mean(sum, count);
}

void MetricSums::write_mean_or_zero(nlohmann::json& record, const std::string& metric, std::string_view sum,
                                    std::string_view count) const {
  record[metric] = mean_or_zero(sum, count);
}

void MetricSums::write_std(nlohmann::json& record, const std::string& metric, std::string_view sum,
                           std::string_view sum_sq, std::string_view count) const {
  record[metric] = std_dev(sum, sum_sq, count);
}

}  // namespace r1
