// Python bindings for io/: safetensors files as dicts of numpy arrays.
#include "bindings.h"
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>

#include "autodistill/core/error.h"
#include "autodistill/io/safetensors.h"

namespace py = pybind11;

namespace autodistill::python {
namespace {

py::dtype numpy_dtype(SafetensorsDtype d, const std::string& name, const std::string& file) {
  switch (d) {
    case SafetensorsDtype::BOOL: return py::dtype("?");
    case SafetensorsDtype::U8: return py::dtype("u1");
    case SafetensorsDtype::I8: return py::dtype("i1");
    case SafetensorsDtype::I16: return py::dtype("<i2");
    case SafetensorsDtype::U16: return py::dtype("<u2");
    case SafetensorsDtype::F16: return py::dtype("<f2");
    case SafetensorsDtype::I32: return py::dtype("<i4");
    case SafetensorsDtype::U32: return py::dtype("<u4");
    case SafetensorsDtype::F32: return py::dtype("<f4");
    case SafetensorsDtype::F64: return py::dtype("<f8");
    case SafetensorsDtype::I64: return py::dtype("<i8");
    case SafetensorsDtype::U64: return py::dtype("<u8");
    default:
      AD_THROW(IOError, "safetensors file '{}', tensor '{}': dtype {} has no numpy equivalent", file, name,
               safetensors_dtype_name(d));
  }
}

SafetensorsDtype from_numpy(const py::dtype& dt, const std::string& name) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'b') return SafetensorsDtype::BOOL;
  if (kind == 'u' && size == 1) return SafetensorsDtype::U8;
  if (kind == 'u' && size == 2) return SafetensorsDtype::U16;
  if (kind == 'u' && size == 4) return SafetensorsDtype::U32;
  if (kind == 'u' && size == 8) return SafetensorsDtype::U64;
  if (kind == 'i' && size == 1) return SafetensorsDtype::I8;
  if (kind == 'i' && size == 2) return SafetensorsDtype::I16;
  if (kind == 'i' && size == 4) return SafetensorsDtype::I32;
  if (kind == 'i' && size == 8) return SafetensorsDtype::I64;
  if (kind == 'f' && size == 2) return SafetensorsDtype::F16;
  if (kind == 'f' && size == 4) return SafetensorsDtype::F32;
  if (kind == 'f' && size == 8) return SafetensorsDtype::F64;
  const std::string dtype_name = py::str(static_cast<const py::handle&>(dt)).cast<std::string>();
  AD_THROW(InvalidArgument, "save_safetensors: array '{}' has dtype {} which safetensors cannot store", name,
           dtype_name);
}

py::array to_numpy(const SafetensorsFile& file, const std::string& name) {
  const SafetensorsInfo& info = file.info(name);
  const ByteSpan bytes = file.raw(name);
  std::vector<py::ssize_t> shape(info.shape.begin(), info.shape.end());
  if (info.dtype == SafetensorsDtype::BF16) {
    // numpy has no bfloat16: widen to float32 exactly (bf16 is the top half of an f32).
    py::array_t<float> out(shape);
    float* dst = out.mutable_data();
    for (size_t i = 0; i < bytes.size / 2; ++i) {
      const uint32_t bits = (uint32_t(bytes.data[2 * i + 1]) << 24) | (uint32_t(bytes.data[2 * i]) << 16);
      std::memcpy(dst + i, &bits, 4);
    }
    return std::move(out);
  }
  py::array out(numpy_dtype(info.dtype, name, file.path().string()), shape);
  if (bytes.size) std::memcpy(out.mutable_data(), bytes.data, bytes.size);
  return out;
}

}  // namespace

void bind_io(py::module_& m) {
  m.def(
      "load_safetensors",
      [](const std::filesystem::path& path) {
        const auto file = SafetensorsFile::open(path);
        py::dict out;
        for (const auto& name : file.names()) out[py::str(name)] = to_numpy(file, name);
        return out;
      },
      py::arg("path"),
      "Reads a safetensors file into {name: numpy.ndarray} (file order; arrays are copies).\n"
      "BF16 tensors come back as float32 (numpy has no bfloat16); F16 as float16.\n"
      "Raises OSError naming the file and tensor for a malformed file.");
  m.def(
      "load_safetensors_metadata",
      [](const std::filesystem::path& path) { return SafetensorsFile::open(path).metadata(); }, py::arg("path"),
      "The __metadata__ map of a safetensors file.");
  m.def(
      "save_safetensors",
      [](const std::filesystem::path& path, const py::dict& tensors,
         std::optional<std::map<std::string, std::string>> metadata) {
        std::vector<py::array> keep;
        std::vector<SafetensorsEntry> entries;
        for (const auto& [key, value] : tensors) {
          const std::string name = py::cast<std::string>(key);
          py::array a = py::array::ensure(value, py::array::c_style);
          if (!a) AD_THROW(InvalidArgument, "save_safetensors: value of '{}' is not array-like", name);
          if (a.dtype().byteorder() == '>') a = a.attr("astype")(a.dtype().attr("newbyteorder")("<"));
          SafetensorsEntry e;
          e.name = name;
          e.dtype = from_numpy(a.dtype(), name);
          e.shape.assign(a.shape(), a.shape() + a.ndim());
          e.bytes = ByteSpan{static_cast<const uint8_t*>(a.data()), static_cast<size_t>(a.nbytes())};
          keep.push_back(a);
          entries.push_back(std::move(e));
        }
        save_safetensors_raw(path, std::move(entries), metadata.value_or(std::map<std::string, std::string>{}));
      },
      py::arg("path"), py::arg("tensors"), py::arg("metadata") = py::none(),
      "Writes {name: numpy.ndarray} as a safetensors file atomically, in the same layout as Python's\n"
      "safetensors (tensors sorted by dtype then name, header padded to 8 bytes).");
}

}  // namespace autodistill::python
