// Bounds tables (Markdown): a construction's claimed shape against the measured one for a list of n, and
// several constructions of one task side by side.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "exactformer/construction.hpp"

namespace exactformer {

// One row per n and mode; returns false when some built model's shape differs from its claim.
bool bounds_table(const Construction& c, const std::vector<int>& ns, int build_max, std::ostream& out);
// Depth and width per n of several constructions (hard mode), measured where built.
bool compare_table(const std::vector<const Construction*>& cs, const std::vector<int>& ns, int build_max, std::ostream& out);

}  // namespace exactformer
