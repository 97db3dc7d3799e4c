// A plain float64 scalar with the interface of the enclosure scalars (enclosure.hpp), so that TlForward<PlainDouble>
// is the ordinary float64 forward pass of an imported model — the baseline `bench --model` measures the certified
// pass against. It rounds to nearest like PyTorch's float64 and decides nothing: never used for a verdict.
#pragma once
#include <cmath>
#include <numbers>

namespace exactformer {

struct PlainDouble {
  double v = 0;
  PlainDouble() = default;
  explicit PlainDouble(double x) : v(x) {}
  bool point() const { return true; }
  bool zero() const { return v == 0; }
  bool finite() const { return std::isfinite(v); }
  double lower() const { return v; }
  double upper() const { return v; }
  PlainDouble lower_point() const { return *this; }
  PlainDouble upper_point() const { return *this; }
  bool certainly_less(const PlainDouble& o) const { return v < o.v; }
  bool certainly_positive() const { return v > 0; }
  bool same_point(const PlainDouble& o) const { return v == o.v; }
};
inline PlainDouble operator+(PlainDouble a, PlainDouble b) { return PlainDouble(a.v + b.v); }
inline PlainDouble operator-(PlainDouble a, PlainDouble b) { return PlainDouble(a.v - b.v); }
inline PlainDouble operator-(PlainDouble a) { return PlainDouble(-a.v); }
inline PlainDouble operator*(PlainDouble a, PlainDouble b) { return PlainDouble(a.v * b.v); }
inline PlainDouble operator*(PlainDouble a, double w) { return PlainDouble(a.v * w); }
inline PlainDouble operator/(PlainDouble a, PlainDouble b) { return PlainDouble(a.v / b.v); }
inline PlainDouble sqrt(PlainDouble x) { return PlainDouble(std::sqrt(x.v)); }
inline PlainDouble square(PlainDouble x) { return PlainDouble(x.v * x.v); }
inline PlainDouble exp(PlainDouble x) { return PlainDouble(std::exp(x.v)); }
inline PlainDouble exp2(PlainDouble x) { return PlainDouble(std::exp2(x.v)); }
inline PlainDouble erf(PlainDouble x) { return PlainDouble(std::erf(x.v)); }
inline PlainDouble tanh(PlainDouble x) { return PlainDouble(std::tanh(x.v)); }
inline PlainDouble relu(PlainDouble x) { return PlainDouble(x.v > 0 ? x.v : 0.0); }
inline PlainDouble hull(PlainDouble a, PlainDouble /*b*/) { return a; }  // a point: the first (the value itself)
inline PlainDouble pi_enclosure(PlainDouble) { return PlainDouble(std::numbers::pi); }

}  // namespace exactformer
