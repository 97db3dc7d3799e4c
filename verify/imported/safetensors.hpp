// The safetensors layout, read as untrusted input: an 8-byte little-endian header length N, N bytes of JSON
// ({"NAME": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}), then
// the data region, each tensor's bytes at [begin, end) of it, row-major, little-endian.
//
// Everything is validated before a value is used: the header length against the file, the JSON (its nesting
// depth first), every field's type, dtype sizes against shapes (overflow-checked), offsets inside the data
// region and no two tensors overlapping. A value is converted to the double it is exactly (F64, F32, BF16 and
// F16 are all dyadic rationals a double holds); NaN or ±Inf is refused with the tensor and the flat index.
// Every refusal is a usage_error naming the file, the tensor and the problem.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace exactformer {

enum class Dtype { f64, f32, bf16, f16, i64, i32 };
const char* dtype_name(Dtype d);
int dtype_bytes(Dtype d);

struct TensorEntry {
  std::string name;
  Dtype dtype = Dtype::f64;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0, end = 0;  // byte offsets in the data region
  std::uint64_t elements() const;
};

// A tensor's values as doubles (exactly), row-major.
struct TensorData {
  std::vector<std::int64_t> shape;
  std::vector<double> values;
};

class SafetensorsReader {
 public:
  // Opens and validates the header of the file at `path` (the data are read tensor by tensor, on demand).
  static SafetensorsReader open(const std::string& path);
  // The same over bytes in memory (`label` names them in errors): the fuzz target's entry.
  static SafetensorsReader from_bytes(std::string bytes, std::string label);

  const std::map<std::string, TensorEntry>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The values of tensor `name` (usage_error if absent, not a float dtype, or holding NaN / ±Inf).
  TensorData read(const std::string& name) const;
  const std::string& label() const { return label_; }

 private:
  void parse_header(std::string_view header, std::uint64_t data_size);
  std::string label_;
  std::string path_;    // read from this file, or
  std::string bytes_;   // from these bytes (from_bytes)
  std::uint64_t data_start_ = 0;
  std::map<std::string, TensorEntry> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Writes tensors as an F64 safetensors file's bytes (the test models and the fuzz corpus).
std::string safetensors_f64_bytes(const std::vector<std::pair<std::string, TensorData>>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});

}  // namespace exactformer
