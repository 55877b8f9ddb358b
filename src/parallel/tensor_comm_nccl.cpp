// NCCL implementation of TensorComm (CUDA builds): device tensors move GPU to GPU on the CUDA
// backend's stream; the NCCL unique id is broadcast over the MPI communicator the TensorComm is made
// from. Host tensors fall back to MPI.
#ifdef R1_WITH_CUDA
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/log.hpp"
#include "core/runtime_settings.hpp"
#include "kernels/runtime.hpp"
#include "parallel/mpi_check.hpp"
#include "parallel/tensor_comm.hpp"

#define NCCL_CHECK(call)                                                                                       \
  do {                                                                                                         \
    ncclResult_t r1_nccl_rc_ = (call);                                                                         \
    if (r1_nccl_rc_ != ncclSuccess)                                                                            \
      throw ::r1::Error(std::string("NCCL error in ") + #call + " at " + __FILE__ + ":" + std::to_string(__LINE__) + \
                        " (rank " + std::to_string(::r1::log_rank()) + "): " + ncclGetErrorString(r1_nccl_rc_)); \
  } while (0)

namespace r1 {

namespace {

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::bf16: return ncclBfloat16;
    case DType::i32: return ncclInt32;
    case DType::i64: return ncclInt64;
    case DType::u8: return ncclUint8;
  }
  return ncclUint8;
}

class NcclTensorComm final : public TensorComm {
 public:
  explicit NcclTensorComm(const Comm& comm) : comm_(comm), mpi_(make_mpi_tensor_comm(comm)) {
    ncclUniqueId id;
    if (comm.rank() == 0) NCCL_CHECK(ncclGetUniqueId(&id));
    MPI_CHECK(MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, comm.native()));
    NCCL_CHECK(ncclCommInitRank(&nccl_, comm.size(), id, comm.rank()));
  }
  ~NcclTensorComm() override {
    if (nccl_) ncclCommDestroy(nccl_);
  }
  int rank() const override { return comm_.rank(); }
  int size() const override { return comm_.size(); }

  void all_reduce_sum(Tensor& t) override {
    if (t.is_host()) return mpi_->all_reduce_sum(t);
    if (comm_.size() == 1 || t.numel() == 0) return;
    NCCL_CHECK(ncclAllReduce(t.raw(), t.raw(), size_t(t.numel()), nccl_type(t.dtype()), ncclSum, nccl_, stream()));
  }

  void all_to_all_rows(const Tensor& send, const std::vector<int64_t>& send_rows, Tensor& recv,
                       const std::vector<int64_t>& recv_rows) override {
    if (send.is_host()) return mpi_->all_to_all_rows(send, send_rows, recv, recv_rows);
    const size_t row_bytes = size_t(send.ndim() ? send.cols() : 1) * dtype_size(send.dtype());
    size_t so = 0, ro = 0;
    NCCL_CHECK(ncclGroupStart());
    for (int r = 0; r < comm_.size(); ++r) {
      size_t sb = size_t(send_rows[size_t(r)]) * row_bytes, rb = size_t(recv_rows[size_t(r)]) * row_bytes;
      if (sb) NCCL_CHECK(ncclSend(static_cast<const char*>(send.raw()) + so, sb, ncclUint8, r, nccl_, stream()));
      if (rb) NCCL_CHECK(ncclRecv(static_cast<char*>(recv.raw()) + ro, rb, ncclUint8, r, nccl_, stream()));
      so += sb;
      ro += rb;
    }
    NCCL_CHECK(ncclGroupEnd());
  }

  void exchange(const Tensor& send, int send_peer, Tensor& recv, int recv_peer) override {
    if ((send_peer >= 0 && send.is_host()) || (recv_peer >= 0 && recv.is_host()))
      return mpi_->exchange(send, send_peer, recv, recv_peer);
    NCCL_CHECK(ncclGroupStart());
    if (send_peer >= 0) NCCL_CHECK(ncclSend(send.raw(), send.nbytes(), ncclUint8, send_peer, nccl_, stream()));
    if (recv_peer >= 0) NCCL_CHECK(ncclRecv(recv.raw(), recv.nbytes(), ncclUint8, recv_peer, nccl_, stream()));
    NCCL_CHECK(ncclGroupEnd());
  }

  void broadcast(Tensor& t, int root) override {
    if (t.is_host()) return mpi_->broadcast(t, root);
    if (comm_.size() == 1 || t.numel() == 0) return;
    NCCL_CHECK(ncclBroadcast(t.raw(), t.raw(), t.nbytes(), ncclUint8, root, nccl_, stream()));
  }

 private:
  static cudaStream_t stream() { return static_cast<cudaStream_t>(ComputeRuntime::device_stream()); }
  Comm comm_;
  std::unique_ptr<TensorComm> mpi_;
  ncclComm_t nccl_ = nullptr;
};

}  // namespace

std::unique_ptr<TensorComm> make_tensor_comm(const Comm& comm, Device device) {
  // runtime.tensor_transport: mpi stages device tensors through host memory and MPI instead of NCCL:
  // for several ranks sharing one GPU (NCCL refuses that) or a site whose NCCL does not work.
  if (device == Device::cuda && runtime_settings().tensor_transport != TensorTransport::mpi)
    return std::make_unique<NcclTensorComm>(comm);
  return make_mpi_tensor_comm(comm);
}

}  // namespace r1
#else
#include "parallel/tensor_comm.hpp"

namespace r1 {

std::unique_ptr<TensorComm> make_tensor_comm(const Comm& comm, Device device) {
  R1_CHECK(device == Device::host, "tensor transport for device tensors needs a CUDA build");
  return make_mpi_tensor_comm(comm);
}

}  // namespace r1
#endif
