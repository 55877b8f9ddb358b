// Row-range selections: the file and memory dataspaces for rows [row_begin, row_begin + rows) of
// dim 0 of a dataset (all trailing dims), used by checkpoint writes and reads. An empty range gives
// empty selections, which is how a rank holding nothing takes part in a collective transfer.
#pragma once
#include <hdf5.h>

#include "core/tensor.hpp"
#include "io/formats/hdf5_handles.hpp"

namespace r1::h5 {

struct RowSelection {
  Dataspace memory;
  Dataspace file;
};

// `global_shape` is the dataset's shape ({} for a scalar, where rows is 0 or 1).
RowSelection select_rows(hid_t dataset, const Shape& global_shape, int64_t row_begin, int64_t rows,
                         const std::string& where);

// A simple dataspace of `shape` (scalar when shape is empty).
Dataspace make_dataspace(const Shape& shape, const std::string& where);

}  // namespace r1::h5
