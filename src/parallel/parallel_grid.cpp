// ParallelGrid: communicator construction.
#include "parallel/parallel_grid.hpp"

#include <mpi.h>

namespace r1 {

ParallelGrid::ParallelGrid(const Comm& world, const GridLayout& layout, Device device)
    : layout_(layout), position_(rank_position(layout, world.rank())), world_(world) {
  R1_CHECK(world.size() == layout.world, "grid for ", layout.world, " ranks on a communicator of ", world.size());
  const RankPosition& p = position_;
  dp_ = world.split(int(p.stage), int(p.dp_rank));
  ep_ = world.split(int(p.stage * layout.dp + p.ep_group), int(p.ep_rank));
  expert_replicas_ = world.split(int(p.stage * layout.ep + p.ep_rank), int(p.ep_group));
  pipeline_ = world.split(int(p.dp_rank), int(p.stage));
  const bool ends = p.stage == 0 || p.stage == layout.pp - 1;
  // Collective over every rank: ranks off the pipeline ends take no part (MPI_UNDEFINED).
  MPI_Comm pair = MPI_COMM_NULL;
  MPI_Comm_split(world.native(), layout.pp > 1 && ends ? int(p.dp_rank) : MPI_UNDEFINED, int(p.stage), &pair);
  if (pair != MPI_COMM_NULL) {
    embedding_pair_ = Comm::duplicate(pair);
    MPI_Comm_free(&pair);
  }
  dp_t_ = make_tensor_comm(dp_, device);
  ep_t_ = make_tensor_comm(ep_, device);
  expert_replicas_t_ = make_tensor_comm(expert_replicas_, device);
  pipeline_t_ = make_tensor_comm(pipeline_, device);
  if (embedding_pair_.valid()) embedding_pair_t_ = make_tensor_comm(embedding_pair_, device);
}

}  // namespace r1
