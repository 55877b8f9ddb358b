// MPI implementation of TensorComm.
#include <mpi.h>

#include "parallel/mpi_check.hpp"
#include "parallel/tensor_comm.hpp"

namespace r1 {

namespace {

class MpiTensorComm final : public TensorComm {
 public:
  explicit MpiTensorComm(const Comm& comm) : comm_(comm) {}
  int rank() const override { return comm_.rank(); }
  int size() const override { return comm_.size(); }

  void all_reduce_sum(Tensor& t) override {
    if (comm_.size() == 1 || t.numel() == 0) return;
    Staged s(t);
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, s.host.raw(), int(s.host.numel()), mpi_type(t.dtype()), MPI_SUM, comm_.native()));
    s.write_back(t);
  }

  void all_to_all_rows(const Tensor& send, const std::vector<int64_t>& send_rows, Tensor& recv,
                       const std::vector<int64_t>& recv_rows) override {
    const int n = comm_.size();
    R1_CHECK(int(send_rows.size()) == n && int(recv_rows.size()) == n, "all_to_all_rows: counts for ", n, " ranks");
    const int64_t cols = send.ndim() ? send.cols() : 1, bytes_per_row = cols * int64_t(dtype_size(send.dtype()));
    std::vector<int> sc(static_cast<size_t>(n)), sd(static_cast<size_t>(n)), rc(static_cast<size_t>(n)), rd(static_cast<size_t>(n));
    int64_t so = 0, ro = 0;
    for (int r = 0; r < n; ++r) {
      sc[size_t(r)] = int(send_rows[size_t(r)] * bytes_per_row);
      sd[size_t(r)] = int(so);
      so += sc[size_t(r)];
      rc[size_t(r)] = int(recv_rows[size_t(r)] * bytes_per_row);
      rd[size_t(r)] = int(ro);
      ro += rc[size_t(r)];
    }
    R1_CHECK(so == int64_t(send.nbytes()) && ro == int64_t(recv.nbytes()), "all_to_all_rows: ", so, " bytes to send from ",
             send.describe(), ", ", ro, " to receive into ", recv.describe());
    Tensor sh = send.is_host() ? send : send.to(Device::host);
    Tensor rh = recv.is_host() ? recv : Tensor::empty(recv.shape(), recv.dtype());
    MPI_CHECK(MPI_Alltoallv(sh.raw(), sc.data(), sd.data(), MPI_BYTE, rh.raw(), rc.data(), rd.data(), MPI_BYTE,
                            comm_.native()));
    if (!recv.is_host()) recv.copy_from(rh);
  }

  void exchange(const Tensor& send, int send_peer, Tensor& recv, int recv_peer) override {
    MPI_Request req[2];
    int n = 0;
    Tensor sh = send_peer >= 0 && !send.is_host() ? send.to(Device::host) : send;
    Tensor rh = recv_peer >= 0 && !recv.is_host() ? Tensor::empty(recv.shape(), recv.dtype()) : recv;
    if (recv_peer >= 0)
      MPI_CHECK(MPI_Irecv(rh.raw(), int(rh.nbytes()), MPI_BYTE, recv_peer, kTag, comm_.native(), &req[n++]));
    if (send_peer >= 0)
      MPI_CHECK(MPI_Isend(sh.raw(), int(sh.nbytes()), MPI_BYTE, send_peer, kTag, comm_.native(), &req[n++]));
    MPI_CHECK(MPI_Waitall(n, req, MPI_STATUSES_IGNORE));
    if (recv_peer >= 0 && !recv.is_host()) recv.copy_from(rh);
  }

  void broadcast(Tensor& t, int root) override {
    if (comm_.size() == 1 || t.numel() == 0) return;
    Staged s(t);
    MPI_CHECK(MPI_Bcast(s.host.raw(), int(s.host.nbytes()), MPI_BYTE, root, comm_.native()));
    s.write_back(t);
  }

 private:
  static constexpr int kTag = 4711;
  // Host view of a tensor (a copy for device tensors, written back after the call).
  struct Staged {
    Tensor host;
    bool copied = false;
    explicit Staged(const Tensor& t) : host(t.is_host() ? t : t.to(Device::host)), copied(!t.is_host()) {}
    void write_back(Tensor& t) {
      if (copied) t.copy_from(host);
    }
  };
  Comm comm_;
};

}  // namespace

std::unique_ptr<TensorComm> make_mpi_tensor_comm(const Comm& comm) { return std::make_unique<MpiTensorComm>(comm); }

}  // namespace r1
