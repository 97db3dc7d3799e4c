// The hook-and-shortcut reference algorithm (verify/hook_shortcut.hpp), smallwidth.md §2.2.
#include "hook_shortcut.hpp"

namespace exactformer::hook_shortcut {
namespace {

template <class V>
auto& at(V& v, int i) {
  return v[static_cast<std::size_t>(i)];
}

Pointer identity(int n) {
  Pointer p(static_cast<std::size_t>(n));
  for (int v = 0; v < n; ++v) at(p, v) = v;
  return p;
}

}  // namespace

Pointer round(const Graph& g, const Pointer& p) {
  const int n = g.n();
  constexpr int none = -1;  // ⊥
  const auto parent = [&](int v) { return at(p, v); };
  const std::size_t size = static_cast<std::size_t>(n);
  // S1: star roots.
  std::vector<char> ns(size, 0), star_root(size, 0);
  for (int v = 0; v < n; ++v)
    if (parent(parent(v)) != parent(v)) at(ns, parent(parent(v))) = 1;
  for (int r = 0; r < n; ++r) at(star_root, r) = parent(r) == r && !at(ns, r);
  // S2: proposals, min over the arcs (a, b) leaving the tree of r = p(a) (p(b) != r).
  std::vector<int> u(size, none);
  for (const auto& [x, y] : g.edges())
    for (const auto& [a, b] : {std::pair{x, y}, std::pair{y, x}}) {
      const int r = parent(a);
      if (parent(b) != r && (at(u, r) == none || parent(b) < at(u, r))) at(u, r) = parent(b);
    }
  // S3, S4, S5.
  std::vector<char> hooks(size, 0), hooked_onto(size, 0), stagnant(size, 0);
  for (int r = 0; r < n; ++r) at(hooks, r) = at(star_root, r) && at(u, r) != none && at(u, r) < r;
  for (int r = 0; r < n; ++r)
    if (at(hooks, r)) at(hooked_onto, at(u, r)) = 1;
  for (int r = 0; r < n; ++r) at(stagnant, r) = at(star_root, r) && !at(hooks, r) && !at(hooked_onto, r) && at(u, r) != none;
  // S6: move.
  Pointer moved = p;
  for (int r = 0; r < n; ++r)
    if (at(hooks, r) || at(stagnant, r)) at(moved, r) = at(u, r);
  // S7: two shortcuts.
  for (int s = 0; s < 2; ++s) {
    Pointer next(size);
    for (int v = 0; v < n; ++v) at(next, v) = at(moved, at(moved, v));
    moved = next;
  }
  return moved;
}

std::vector<Pointer> rounds(const Graph& g, int rounds) {
  Pointer p = identity(g.n());
  std::vector<Pointer> out{p};
  for (int k = 0; k < rounds; ++k) out.push_back(p = round(g, p));
  return out;
}

bool finished(const Graph& g, const Pointer& p) {
  for (int v = 0; v < g.n(); ++v)
    if (at(p, at(p, v)) != at(p, v)) return false;
  for (const auto& [a, b] : g.edges())
    if (at(p, a) != at(p, b)) return false;
  return true;
}

int rounds_needed(const Graph& g) {
  Pointer p = identity(g.n());
  int r = 0;
  while (!finished(g, p)) {
    EXACTFORMER_ASSERT(r <= 2 * g.n() + 2, "hook_shortcut reference: no convergence on " + to_graph6(g));
    p = round(g, p);
    ++r;
  }
  return r;
}

}  // namespace exactformer::hook_shortcut
