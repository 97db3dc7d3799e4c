// Plots of width and depth against n, drawn by gnuplot (started without a shell; its script and data
// are temporary files in the output directory).
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"
#include "precision.hpp"

namespace exactformer {

// dir/<name>.svg: measured points over the claimed formula. False (with a note on err) without gnuplot.
bool write_plot(const Construction& c, const std::string& dir, std::ostream& err);
// dir/<title>.svg: the claimed formulas of several constructions.
bool write_compare_plot(const std::string& title, const std::vector<const Construction*>& cs, const std::string& dir, std::ostream& err);

// `svg`: against log2 T, the measured p_total of FP_p and b* of softmax2 (points, one colour per
// construction) and the derived p* and lower end of the b* band for n = 2..64 (lines), where claimed.
bool write_precision_plot(const std::vector<PrecisionResult>& results, const std::vector<const Construction*>& cs, const std::string& svg,
                          std::ostream& err);

}  // namespace exactformer
