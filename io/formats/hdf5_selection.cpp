// Row-range hyperslab selections for checkpoint datasets.
#include "io/formats/hdf5_selection.hpp"

#include <vector>

namespace r1::h5 {

Dataspace make_dataspace(const Shape& shape, const std::string& where) {
  if (shape.empty()) return Dataspace(H5_CHECK(H5Screate(H5S_SCALAR), where));
  std::vector<hsize_t> dims(shape.begin(), shape.end());
  return Dataspace(H5_CHECK(H5Screate_simple(int(dims.size()), dims.data(), nullptr), where));
}

RowSelection select_rows(hid_t dataset, const Shape& global_shape, int64_t row_begin, int64_t rows,
                         const std::string& where) {
  RowSelection selection;
  selection.file = Dataspace(H5_CHECK(H5Dget_space(dataset), where));
  if (rows == 0) {
    H5_CHECK(H5Sselect_none(selection.file.id()), where);
    hsize_t one = 1;
    selection.memory = Dataspace(H5_CHECK(H5Screate_simple(1, &one, nullptr), where));
    H5_CHECK(H5Sselect_none(selection.memory.id()), where);
    return selection;
  }
  if (global_shape.empty()) {
    R1_CHECK(row_begin == 0 && rows == 1, "a scalar dataset has one row; asked rows [", row_begin, ", ",
             row_begin + rows, ") of ", where);
    H5_CHECK(H5Sselect_all(selection.file.id()), where);
    selection.memory = make_dataspace({}, where);
    return selection;
  }
  std::vector<hsize_t> start(global_shape.size(), 0), count(global_shape.begin(), global_shape.end());
  start[0] = hsize_t(row_begin);
  count[0] = hsize_t(rows);
  H5_CHECK(H5Sselect_hyperslab(selection.file.id(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
           where);
  selection.memory = Dataspace(H5_CHECK(H5Screate_simple(int(count.size()), count.data(), nullptr), where));
  return selection;
}

}  // namespace r1::h5
