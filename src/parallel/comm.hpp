// Comm: an owned MPI communicator (RAII over MPI_Comm_dup / MPI_Comm_split) with the typed
// collectives r1 uses for control and for host-build tensor traffic. Code below main receives
// Comms; it never names MPI_COMM_WORLD.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace r1 {

enum class ReduceOp { sum, max, min };

class Comm {
 public:
  Comm() = default;                     // an empty handle
  static Comm duplicate(MPI_Comm comm);  // owns a duplicate of `comm`
  Comm split(int color, int key) const;
  // This rank's index among the ranks of this communicator on the same node (MPI shared-memory
  // split): the GPU a rank uses on a node with one rank per GPU.
  int node_local_rank() const;

  bool valid() const { return comm_ != nullptr; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm native() const;

  void barrier() const;
  // Host-memory collectives (tensors on the host; f32/f64/i32/i64).
  void allreduce(Tensor& t, ReduceOp op = ReduceOp::sum) const;
  double allreduce(double v, ReduceOp op = ReduceOp::sum) const;
  int64_t allreduce(int64_t v, ReduceOp op = ReduceOp::sum) const;
  void allreduce(std::vector<double>& v, ReduceOp op = ReduceOp::sum) const;
  void allreduce(std::vector<int64_t>& v, ReduceOp op = ReduceOp::sum) const;
  void broadcast(std::string& s, int root) const;
  void broadcast(Tensor& t, int root) const;
  void broadcast(std::vector<int64_t>& v, int root) const;
  // Concatenation of every rank's vector, in rank order.
  std::vector<int64_t> allgather(const std::vector<int64_t>& mine) const;
  std::vector<double> allgather(const std::vector<double>& mine) const;
  std::vector<std::string> gather_strings(const std::string& mine, int root) const;
  // Every rank's string, in rank order, on every rank.
  std::vector<std::string> allgather_strings(const std::string& mine) const;

 private:
  struct Handle;
  std::shared_ptr<Handle> handle_;
  MPI_Comm comm_ = nullptr;
  int rank_ = 0, size_ = 1;
};

MPI_Datatype mpi_type(DType t);

}  // namespace r1
