// TensorComm: tensor traffic on one communicator, behind one interface — MPI in host builds (and as
// a fallback), NCCL in CUDA builds (made from the MPI communicator, the unique id broadcast over
// MPI). MPI keeps carrying control messages (Comm) either way. Calls are collective over the
// communicator (send/recv: between the two peers) and complete before returning.
#pragma once
#include <memory>
#include <vector>

#include "core/tensor.hpp"
#include "parallel/comm.hpp"

namespace r1 {

class TensorComm {
 public:
  virtual ~TensorComm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void all_reduce_sum(Tensor& t) = 0;
  // Rows of `send` [sum(send_rows), cols] go to ranks in order (send_rows[r] rows to rank r); `recv`
  // [sum(recv_rows), cols] gets recv_rows[r] rows from rank r, in rank order.
  virtual void all_to_all_rows(const Tensor& send, const std::vector<int64_t>& send_rows, Tensor& recv,
                               const std::vector<int64_t>& recv_rows) = 0;
  // Point-to-point exchange with up to two peers in one step (either side may be skipped with peer < 0):
  // sends `send` to send_peer and receives into `recv` from recv_peer, without deadlock whatever the
  // order the peers call it in.
  virtual void exchange(const Tensor& send, int send_peer, Tensor& recv, int recv_peer) = 0;
  virtual void broadcast(Tensor& t, int root) = 0;
};

// MPI transport (host tensors; device tensors are staged through host memory).
std::unique_ptr<TensorComm> make_mpi_tensor_comm(const Comm& comm);
// The transport for tensors on `device`: NCCL for CUDA in CUDA builds, else MPI.
std::unique_ptr<TensorComm> make_tensor_comm(const Comm& comm, Device device);

}  // namespace r1
