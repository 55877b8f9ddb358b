// Comm implementation: communicator ownership and the typed collectives.
#include "parallel/comm.hpp"

#include "parallel/mpi_check.hpp"

namespace r1 {

struct Comm::Handle {
  MPI_Comm comm = MPI_COMM_NULL;
  ~Handle() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
};

static MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum: return MPI_SUM;
    case ReduceOp::max: return MPI_MAX;
    case ReduceOp::min: return MPI_MIN;
  }
  return MPI_SUM;
}

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::i32: return MPI_INT32_T;
    case DType::i64: return MPI_INT64_T;
    case DType::u8: return MPI_UINT8_T;
    case DType::bf16: return MPI_UINT16_T;
  }
  return MPI_BYTE;
}

Comm Comm::duplicate(MPI_Comm comm) {
  Comm c;
  c.handle_ = std::make_shared<Handle>();
  MPI_CHECK(MPI_Comm_dup(comm, &c.handle_->comm));
  c.comm_ = c.handle_->comm;
  MPI_CHECK(MPI_Comm_rank(c.comm_, &c.rank_));
  MPI_CHECK(MPI_Comm_size(c.comm_, &c.size_));
  return c;
}

Comm Comm::split(int color, int key) const {
  Comm c;
  c.handle_ = std::make_shared<Handle>();
  MPI_CHECK(MPI_Comm_split(native(), color, key, &c.handle_->comm));
  c.comm_ = c.handle_->comm;
  MPI_CHECK(MPI_Comm_rank(c.comm_, &c.rank_));
  MPI_CHECK(MPI_Comm_size(c.comm_, &c.size_));
  return c;
}

int Comm::node_local_rank() const {
  MPI_Comm node;
  MPI_CHECK(MPI_Comm_split_type(native(), MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node));
  int local = 0;
  MPI_CHECK(MPI_Comm_rank(node, &local));
  MPI_CHECK(MPI_Comm_free(&node));
  return local;
}

MPI_Comm Comm::native() const {
  R1_CHECK(comm_ != nullptr, "use of an empty Comm");
  return comm_;
}

void Comm::barrier() const { MPI_CHECK(MPI_Barrier(native())); }

void Comm::allreduce(Tensor& t, ReduceOp op) const {
  R1_CHECK(t.is_host(), "Comm::allreduce needs a host tensor, got ", t.describe());
  if (size_ == 1 || t.numel() == 0) return;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, t.raw(), int(t.numel()), mpi_type(t.dtype()), mpi_op(op), native()));
}

double Comm::allreduce(double v, ReduceOp op) const {
  if (size_ == 1) return v;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, mpi_op(op), native()));
  return v;
}

int64_t Comm::allreduce(int64_t v, ReduceOp op) const {
  if (size_ == 1) return v;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, mpi_op(op), native()));
  return v;
}

void Comm::allreduce(std::vector<double>& v, ReduceOp op) const {
  if (size_ == 1 || v.empty()) return;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v.data(), int(v.size()), MPI_DOUBLE, mpi_op(op), native()));
}

void Comm::allreduce(std::vector<int64_t>& v, ReduceOp op) const {
  if (size_ == 1 || v.empty()) return;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v.data(), int(v.size()), MPI_INT64_T, mpi_op(op), native()));
}

void Comm::broadcast(std::string& s, int root) const {
  if (size_ == 1) return;
  int64_t n = int64_t(s.size());
  MPI_CHECK(MPI_Bcast(&n, 1, MPI_INT64_T, root, native()));
  s.resize(size_t(n));
  if (n) MPI_CHECK(MPI_Bcast(s.data(), int(n), MPI_CHAR, root, native()));
}

void Comm::broadcast(Tensor& t, int root) const {
  R1_CHECK(t.is_host(), "Comm::broadcast needs a host tensor");
  if (size_ == 1 || t.numel() == 0) return;
  MPI_CHECK(MPI_Bcast(t.raw(), int(t.nbytes()), MPI_BYTE, root, native()));
}

void Comm::broadcast(std::vector<int64_t>& v, int root) const {
  if (size_ == 1) return;
  int64_t n = int64_t(v.size());
  MPI_CHECK(MPI_Bcast(&n, 1, MPI_INT64_T, root, native()));
  v.resize(size_t(n));
  if (n) MPI_CHECK(MPI_Bcast(v.data(), int(n), MPI_INT64_T, root, native()));
}

template <class T>
static std::vector<T> allgather_impl(const Comm& c, const std::vector<T>& mine, MPI_Datatype type) {
  int n = int(mine.size());
  std::vector<int> counts(static_cast<size_t>(c.size())), displs(static_cast<size_t>(c.size()));
  MPI_CHECK(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, c.native()));
  int total = 0;
  for (int i = 0; i < c.size(); ++i) displs[size_t(i)] = total, total += counts[size_t(i)];
  std::vector<T> out(static_cast<size_t>(total));
  MPI_CHECK(MPI_Allgatherv(mine.data(), n, type, out.data(), counts.data(), displs.data(), type, c.native()));
  return out;
}

std::vector<int64_t> Comm::allgather(const std::vector<int64_t>& mine) const {
  if (size_ == 1) return mine;
  return allgather_impl(*this, mine, MPI_INT64_T);
}

std::vector<double> Comm::allgather(const std::vector<double>& mine) const {
  if (size_ == 1) return mine;
  return allgather_impl(*this, mine, MPI_DOUBLE);
}

std::vector<std::string> Comm::gather_strings(const std::string& mine, int root) const {
  if (size_ == 1) return {mine};
  int n = int(mine.size());
  std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
  MPI_CHECK(MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, root, native()));
  int total = 0;
  for (int i = 0; i < size_; ++i) displs[size_t(i)] = total, total += counts[size_t(i)];
  std::string all(static_cast<size_t>(rank_ == root ? total : 0), char(0));
  MPI_CHECK(MPI_Gatherv(mine.data(), n, MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, root, native()));
  std::vector<std::string> out;
  if (rank_ == root)
    for (int i = 0; i < size_; ++i) out.push_back(all.substr(size_t(displs[size_t(i)]), size_t(counts[size_t(i)])));
  return out;
}

std::vector<std::string> Comm::allgather_strings(const std::string& mine) const {
  if (size_ == 1) return {mine};
  int n = int(mine.size());
  std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
  MPI_CHECK(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, native()));
  int total = 0;
  for (int i = 0; i < size_; ++i) displs[size_t(i)] = total, total += counts[size_t(i)];
  std::string all(static_cast<size_t>(total), char(0));
  MPI_CHECK(MPI_Allgatherv(mine.data(), n, MPI_CHAR, all.data(), counts.data(), displs.data(), MPI_CHAR, native()));
  std::vector<std::string> out;
  for (int i = 0; i < size_; ++i) out.push_back(all.substr(size_t(displs[size_t(i)]), size_t(counts[size_t(i)])));
  return out;
}

}  // namespace r1
