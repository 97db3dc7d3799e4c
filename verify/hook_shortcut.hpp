// The hook-and-shortcut connectivity algorithm of smallwidth.md §2 (steps S1-S7), written the plain way
// on parent arrays. It is the reference the hook_shortcut construction is held against (per-round pointer
// state, rounds needed); it shares no code with constructions/.
#pragma once
#include <vector>

#include "exactformer/graph.hpp"

namespace exactformer::hook_shortcut {

using Pointer = std::vector<int>;  // p[v]: the parent of v; p[v] = v at roots

// One round S1-S7 from p (all steps read the p of the start of the round).
Pointer round(const Graph& g, const Pointer& p);

// p_0 = identity, p_1, ..., p_rounds.
std::vector<Pointer> rounds(const Graph& g, int rounds);

// Every component is a single star: p(v) = p(w) for every edge, and p(p(v)) = p(v).
bool finished(const Graph& g, const Pointer& p);

// The least R such that p_R is finished (then every connected pair has p(s) = p(t)); stays finished.
int rounds_needed(const Graph& g);

}  // namespace exactformer::hook_shortcut
