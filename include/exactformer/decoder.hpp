// Decoders (design.md §2): closed-form maps from a few slots of the readout row to the integer answer.
// The one decoder module: the kinds, their names in traces, their text, and their evaluation in any
// arithmetic. A new decoder kind touches this file only (and its row in docs/trace-format.md).
#pragma once
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "exactformer/model.hpp"
#include "exactformer/scalar.hpp"

namespace exactformer {

struct Decoder {
  enum class Kind {
    threshold_half,           // [sum of slots >= 1/2]                        -> 1 / 0
    round_inverse_minus_one,  // round(sum over slots of (1/o - 1))           -> count (undefined if some o = 0)
    exact_ratio,              // o_1 / o_2 if it is an integer, else undefined -> count
    is_zero,                  // [o_1 = 0]                                    -> 1 / 0
    positive_rank,            // [o_1 - o_2 + o_3 > 0]                        -> 1 / 0
    distance_or_none,         // [o_1 >= 1/2] ? round(o_2) : -1                -> a distance, -1 = none
    bit_set                   // sum over slots i of 2^i [o_i >= 1/2]         -> a set of slot indices
  };
  Kind kind = Kind::threshold_half;
  std::vector<Slot> slots;

  // "threshold_half", ... (the trace format's `kind`)
  static const char* kind_name(Kind k) {
    switch (k) {
      case Kind::threshold_half: return "threshold_half";
      case Kind::round_inverse_minus_one: return "round_inverse_minus_one";
      case Kind::exact_ratio: return "exact_ratio";
      case Kind::is_zero: return "is_zero";
      case Kind::positive_rank: return "positive_rank";
      case Kind::distance_or_none: return "distance_or_none";
      case Kind::bit_set: return "bit_set";
    }
    return "?";
  }
  // The formula with the slot names: "[reach_t + x >= 1/2]".
  std::string str() const {
    const auto name = [&](std::size_t i) { return i < slots.size() ? slots[i].name : std::string("?"); };
    std::string terms;
    switch (kind) {
      case Kind::threshold_half:
        for (std::size_t i = 0; i < slots.size(); ++i) terms += (i ? " + " : "") + slots[i].name;
        return "[" + terms + " >= 1/2]";
      case Kind::round_inverse_minus_one:
        for (std::size_t i = 0; i < slots.size(); ++i) terms += (i ? " + " : "") + ("(1/" + slots[i].name + " - 1)");
        return "round(" + terms + ")";
      case Kind::exact_ratio: return name(0) + " / " + name(1) + " (if an integer)";
      case Kind::is_zero: return "[" + name(0) + " = 0]";
      case Kind::positive_rank: return "[" + name(0) + " - " + name(1) + " + " + name(2) + " > 0]";
      case Kind::distance_or_none: return "[" + name(0) + " >= 1/2] ? round(" + name(1) + ") : -1";
      case Kind::bit_set:
        return "sum over i < " + std::to_string(slots.size()) + " of 2^i [" + (slots.empty() ? "?" : slots[0].name) + ".. >= 1/2]";
    }
    return "?";
  }
};

// The 1-column slots of a block's components, for decoders that read every component (bit_set).
inline std::vector<Slot> components_of(const Slot& block) {
  std::vector<Slot> out;
  for (int i = 0; i < block.dim; ++i) out.push_back(Slot{block.name + "[" + std::to_string(i) + "]", block.col(i), 1});
  return out;
}

// The decoder applied to the readout entries at(i) of its slots i, in the scalar S; nullopt when the
// answer is undefined (a division by zero, a ratio that is not an integer).
template <class S, class At>
std::optional<long> decode_entries(const Decoder& d, const At& at) {
  const auto round = [](const S& x) { return ScalarTraits<S>::floor_to_long(x + S(1) / S(2)); };  // floor(x + 1/2)
  switch (d.kind) {
    case Decoder::Kind::threshold_half: {
      S sum(0);
      for (std::size_t i = 0; i < d.slots.size(); ++i) sum += at(i);
      return S(2) * sum >= S(1) ? 1L : 0L;
    }
    case Decoder::Kind::round_inverse_minus_one: {
      S sum(0);
      for (std::size_t i = 0; i < d.slots.size(); ++i) {
        if (at(i) == S(0)) return std::nullopt;
        sum += S(1) / at(i) - S(1);
      }
      return round(sum);
    }
    case Decoder::Kind::exact_ratio: {
      if (at(1) == S(0)) return std::nullopt;
      const S r = at(0) / at(1);
      const std::optional<long> f = ScalarTraits<S>::floor_to_long(r);
      if (!f || !(S(*f) == r)) return std::nullopt;
      return f;
    }
    case Decoder::Kind::is_zero:
      return at(0) == S(0) ? 1L : 0L;
    case Decoder::Kind::positive_rank:
      return at(0) - at(1) + at(2) > S(0) ? 1L : 0L;
    case Decoder::Kind::distance_or_none:
      return S(2) * at(0) >= S(1) ? round(at(1)) : std::optional<long>(-1L);
    case Decoder::Kind::bit_set: {
      long set = 0;
      for (std::size_t i = 0; i < d.slots.size() && i < 62; ++i)
        if (S(2) * at(i) >= S(1)) set += 1L << i;
      return set;
    }
  }
  return std::nullopt;
}

// The decoder applied to a whole readout row in its own scalar.
template <class S>
std::optional<long> decode_readout(const Decoder& d, const std::vector<S>& row) {
  return decode_entries<S>(d, [&](std::size_t i) -> const S& { return row[static_cast<std::size_t>(d.slots[i].col(0))]; });
}

// [x_1 + ... + x_k >= 1/2] for exact machine fractions, decided in double when the rounding error
// allows, else nullopt (a floating-point filter, as in CGAL). Each x_i = n_i / d_i is rounded three times
// (n_i, d_i, the quotient: relative error < 3u + 3u^2 with u = 2^-53) and the sum k - 1 more times, so
// |sum computed - sum exact| < (k + 3) * 2^-52 * sum |x_i computed|; the decision stands when the gap to
// 1/2 exceeds that bound (computed with margin).
template <class At>  // at(i): a fraction with num() and den() machine integers, i < k
std::optional<bool> filtered_at_least_half(std::size_t k, const At& at) {
  double sum = 0, magnitude = 0;
  for (std::size_t i = 0; i < k; ++i) {
    const double v = static_cast<double>(at(i).num()) / static_cast<double>(at(i).den());
    sum += v;
    magnitude += std::abs(v);
  }
  const double bound = static_cast<double>(k + 4) * 0x1p-52 * magnitude * 1.0001 + 0x1p-1000;
  if (sum - 0.5 > bound) return true;
  if (0.5 - sum > bound) return false;
  return std::nullopt;
}

}  // namespace exactformer
