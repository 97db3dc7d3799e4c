// Plots of width and depth against n, drawn by gnuplot (started without a shell; its script and data
// are temporary files in the output directory).
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer {

// dir/<name>.svg: measured points over the claimed formula. False (with a note on err) without gnuplot.
bool write_plot(const Construction& c, const std::string& dir, std::ostream& err);
// dir/<title>.svg: the claimed formulas of several constructions.
bool write_compare_plot(const std::string& title, const std::vector<const Construction*>& cs, const std::string& dir, std::ostream& err);

}  // namespace exactformer
