#include "imported/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "exactformer/errors.hpp"
#include "report.hpp"

namespace exactformer {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;  // safetensors' own limit is 100 MB
constexpr int kMaxJsonDepth = 16;

std::uint64_t read_u64_le(const char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, 8);
  return v;
}

bool parse_dtype(const std::string& s, Dtype& d) {
  static const std::pair<const char*, Dtype> names[] = {{"F64", Dtype::f64}, {"F32", Dtype::f32}, {"BF16", Dtype::bf16},
                                                        {"F16", Dtype::f16}, {"I64", Dtype::i64}, {"I32", Dtype::i32}};
  for (const auto& [name, dtype] : names)
    if (s == name) {
      d = dtype;
      return true;
    }
  return false;
}

// IEEE binary16 to double, exactly (subnormals included); ±Inf and NaN map to themselves.
double half_to_double(std::uint16_t h) {
  const int sign = (h >> 15) & 1, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double v;
  if (exponent == 0) v = std::ldexp(static_cast<double>(mantissa), -24);
  else if (exponent == 31) v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  return sign ? -v : v;
}

double bf16_to_double(std::uint16_t h) {
  const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
  return static_cast<double>(std::bit_cast<float>(bits));
}

}  // namespace

const char* dtype_name(Dtype d) {
  switch (d) {
    case Dtype::f64: return "F64";
    case Dtype::f32: return "F32";
    case Dtype::bf16: return "BF16";
    case Dtype::f16: return "F16";
    case Dtype::i64: return "I64";
    case Dtype::i32: return "I32";
  }
  return "?";
}

int dtype_bytes(Dtype d) {
  switch (d) {
    case Dtype::f64: case Dtype::i64: return 8;
    case Dtype::f32: case Dtype::i32: return 4;
    case Dtype::bf16: case Dtype::f16: return 2;
  }
  return 0;
}

std::uint64_t TensorEntry::elements() const {
  std::uint64_t e = 1;
  for (const auto s : shape) e *= static_cast<std::uint64_t>(s);  // validated: no overflow
  return e;
}

SafetensorsReader SafetensorsReader::open(const std::string& path) {
  SafetensorsReader r;
  r.label_ = path;
  r.path_ = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw usage_error(path + ": cannot read");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  if (size < 8) throw usage_error(path + ": " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  char len[8];
  in.read(len, 8);
  const std::uint64_t n = read_u64_le(len);
  if (n > size - 8) throw usage_error(path + ": header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size) + " bytes)");
  if (n > kMaxHeaderBytes) throw usage_error(path + ": header length " + std::to_string(n) + " exceeds 100 MB");
  std::string header(static_cast<std::size_t>(n), '\0');
  in.read(header.data(), static_cast<std::streamsize>(n));
  if (!in) throw usage_error(path + ": cannot read the header");
  r.data_start_ = 8 + n;
  r.parse_header(header, size - 8 - n);
  return r;
}

SafetensorsReader SafetensorsReader::from_bytes(std::string bytes, std::string label) {
  SafetensorsReader r;
  r.label_ = std::move(label);
  const std::uint64_t size = bytes.size();
  if (size < 8) throw usage_error(r.label_ + ": " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
  const std::uint64_t n = read_u64_le(bytes.data());
  if (n > size - 8) throw usage_error(r.label_ + ": header length " + std::to_string(n) + " runs past the end of the file (" + std::to_string(size) + " bytes)");
  r.data_start_ = 8 + n;
  r.parse_header(std::string_view(bytes).substr(8, static_cast<std::size_t>(n)), size - 8 - n);
  r.bytes_ = std::move(bytes);
  return r;
}

void SafetensorsReader::parse_header(std::string_view header, std::uint64_t data_size) {
  const std::string& f = label_;
  require_json_depth(header, kMaxJsonDepth, f + ": header");
  const nlohmann::json j = nlohmann::json::parse(header.begin(), header.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw usage_error(f + ": header is not JSON");
  if (!j.is_object()) throw usage_error(f + ": header is not a JSON object");
  for (const auto& [name, value] : j.items()) {
    const std::string where = f + ": tensor " + quote_input(name);
    if (name == "__metadata__") {
      if (!value.is_object()) throw usage_error(f + ": __metadata__ is not an object");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) throw usage_error(f + ": __metadata__ " + quote_input(k) + " is not a string");
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    if (!value.is_object()) throw usage_error(where + ": entry is not an object");
    TensorEntry e;
    e.name = name;
    const auto dtype = value.find("dtype");
    if (dtype == value.end() || !dtype->is_string()) throw usage_error(where + ": no dtype string");
    if (!parse_dtype(dtype->get<std::string>(), e.dtype)) throw usage_error(where + ": unknown dtype " + quote_input(dtype->get<std::string>()));
    const auto shape = value.find("shape");
    if (shape == value.end() || !shape->is_array()) throw usage_error(where + ": no shape array");
    if (shape->size() > 8) throw usage_error(where + ": " + std::to_string(shape->size()) + " dimensions");
    std::uint64_t elements = 1;
    for (const auto& s : *shape) {
      if (!s.is_number_integer() || s.get<std::int64_t>() < 0) throw usage_error(where + ": shape entries must be non-negative integers");
      const auto dim = static_cast<std::uint64_t>(s.get<std::int64_t>());
      if (dim > (std::uint64_t{1} << 40) || (dim != 0 && elements > (std::uint64_t{1} << 40) / dim))
        throw usage_error(where + ": shape too large");
      elements *= dim;
      e.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const auto offsets = value.find("data_offsets");
    if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
        !(*offsets)[1].is_number_unsigned())
      throw usage_error(where + ": data_offsets is not [begin, end]");
    e.begin = (*offsets)[0].get<std::uint64_t>();
    e.end = (*offsets)[1].get<std::uint64_t>();
    if (e.begin > e.end) throw usage_error(where + ": data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) + "] decrease");
    if (e.end > data_size)
      throw usage_error(where + ": data_offsets end " + std::to_string(e.end) + " is past the data region (" + std::to_string(data_size) + " bytes)");
    const std::uint64_t want = elements * static_cast<std::uint64_t>(dtype_bytes(e.dtype));
    if (e.end - e.begin != want)
      throw usage_error(where + ": " + std::to_string(e.end - e.begin) + " bytes, but shape × " + dtype_name(e.dtype) + " needs " + std::to_string(want));
    tensors_.emplace(name, std::move(e));
  }
  std::vector<const TensorEntry*> by_offset;
  for (const auto& [name, e] : tensors_)
    if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorEntry* a, const TensorEntry* b) { return a->begin < b->begin; });
  for (std::size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      throw usage_error(f + ": tensors " + quote_input(by_offset[i - 1]->name) + " and " + quote_input(by_offset[i]->name) + " overlap");
}

TensorData SafetensorsReader::read(const std::string& name) const {
  const auto it = tensors_.find(name);
  if (it == tensors_.end()) throw usage_error(label_ + ": tensor " + quote_input(name) + " is missing");
  const TensorEntry& e = it->second;
  const std::string where = label_ + ": tensor " + quote_input(name);
  if (e.dtype == Dtype::i64 || e.dtype == Dtype::i32) throw usage_error(where + ": dtype " + dtype_name(e.dtype) + " where weights (F64, F32, BF16, F16) are needed");
  std::string raw(static_cast<std::size_t>(e.end - e.begin), '\0');
  if (path_.empty()) {
    std::memcpy(raw.data(), bytes_.data() + data_start_ + e.begin, raw.size());
  } else {
    std::ifstream in(path_, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(data_start_ + e.begin));
    in.read(raw.data(), static_cast<std::streamsize>(raw.size()));
    if (!in) throw usage_error(where + ": cannot read its bytes");
  }
  TensorData t;
  t.shape = e.shape;
  const std::size_t count = static_cast<std::size_t>(e.elements());
  t.values.resize(count);
  const char* p = raw.data();
  for (std::size_t i = 0; i < count; ++i) {
    double v = 0;
    switch (e.dtype) {
      case Dtype::f64: std::memcpy(&v, p + 8 * i, 8); break;
      case Dtype::f32: {
        float x;
        std::memcpy(&x, p + 4 * i, 4);
        v = x;
        break;
      }
      case Dtype::bf16: case Dtype::f16: {
        std::uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        v = e.dtype == Dtype::bf16 ? bf16_to_double(h) : half_to_double(h);
        break;
      }
      default: break;
    }
    if (!std::isfinite(v)) throw usage_error(where + ": " + (std::isnan(v) ? "NaN" : "an infinity") + " at flat index " + std::to_string(i));
    t.values[i] = v;
  }
  return t;
}

std::string safetensors_f64_bytes(const std::vector<std::pair<std::string, TensorData>>& tensors, const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  std::string data;
  for (const auto& [name, t] : tensors) {
    const std::uint64_t bytes = 8 * t.values.size();
    header[name] = {{"dtype", "F64"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    data.append(reinterpret_cast<const char*>(t.values.data()), bytes);
    offset += bytes;
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';
  std::string out(8, '\0');
  const std::uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  return out + text + data;
}

}  // namespace exactformer
