// The GNN contrast: colour refinement by hand, and the transformers' answers on a 1-WL-equivalent pair.
#include <doctest/doctest.h>

#include <sstream>

#include "contrast.hpp"
#include "enumerate.hpp"

using namespace exactformer;

TEST_CASE("colour refinement: C6 and 2·C3 agree at every depth; C6 and P6 do not; a path refines in about n/2 rounds") {
  Graph two(6);
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 3; ++i) two.add_edge(3 * c + i, 3 * c + (i + 1) % 3);
  CHECK(contrast::wl_equivalent(cycle_graph(6), two, 10));
  CHECK_FALSE(contrast::wl_equivalent(cycle_graph(6), path_graph(6), 1));  // degrees differ after one round
  CHECK(contrast::wl_equivalent(cycle_graph(6), path_graph(6), 0));        // one colour before any round
  CHECK(contrast::wl_stable_rounds(cycle_graph(6)) == 0);                  // 2-regular: never splits
  CHECK(contrast::wl_stable_rounds(path_graph(6)) == 2);                   // {ends}, {next}, {middle} by hand
  CHECK(contrast::wl_stable_rounds(star_graph(5)) == 1);
}

TEST_CASE("the contrast table: the transformers count one cycle and two cycles apart") {
  std::ostringstream out;
  contrast::write_markdown(builtin_registry(), out);
  const std::string md = out.str();
  CHECK(md.find("| C_6 vs 2·C_3 | 6 | yes | 1 vs 2 | 1 vs 2 | 1 vs 2 | 1 vs 1 |") != std::string::npos);
  CHECK(md.find("| C_10 vs 2·C_5 | 10 | yes | 1 vs 2 | 1 vs 2 | 1 vs 2 | 1 vs 1 |") != std::string::npos);
  CHECK(md.find("| 16 | 15 | 15 | 5 | 5 | 21 | 9 | 7 | 21 |") != std::string::npos);
}
