// The hook-and-shortcut reference algorithm (verify/hook_shortcut.hpp), smallwidth.md §2.2.
#include "hook_shortcut.hpp"

namespace exactformer::hook_shortcut {

Pointer round(const Graph& g, const Pointer& p) {
  const int n = g.n();
  constexpr int none = -1;  // ⊥
  const auto arcs = [&](auto&& visit) {
    for (const auto& [a, b] : g.edges()) {
      visit(a, b);
      visit(b, a);
    }
  };
  // S1: star roots.
  std::vector<bool> ns(n, false), star_root(n, false);
  for (int v = 0; v < n; ++v)
    if (p[p[v]] != p[v]) ns[p[p[v]]] = true;
  for (int r = 0; r < n; ++r) star_root[r] = p[r] == r && !ns[r];
  // S2: proposals, min over arcs leaving the tree of r (p(a) = r, p(b) != r).
  std::vector<int> u(n, none);
  arcs([&](int a, int b) {
    const int r = p[a];
    if (p[b] != r && (u[r] == none || p[b] < u[r])) u[r] = p[b];
  });
  // S3, S4, S5.
  std::vector<bool> hooks(n, false), hooked_onto(n, false), stagnant(n, false);
  for (int r = 0; r < n; ++r) hooks[r] = star_root[r] && u[r] != none && u[r] < r;
  for (int r = 0; r < n; ++r)
    if (hooks[r]) hooked_onto[u[r]] = true;
  for (int r = 0; r < n; ++r) stagnant[r] = star_root[r] && !hooks[r] && !hooked_onto[r] && u[r] != none;
  // S6: move.
  Pointer moved = p;
  for (int r = 0; r < n; ++r)
    if (hooks[r] || stagnant[r]) moved[r] = u[r];
  // S7: two shortcuts.
  for (int s = 0; s < 2; ++s) {
    Pointer next(n);
    for (int v = 0; v < n; ++v) next[v] = moved[moved[v]];
    moved = next;
  }
  return moved;
}

std::vector<Pointer> rounds(const Graph& g, int rounds) {
  Pointer p(g.n());
  for (int v = 0; v < g.n(); ++v) p[v] = v;
  std::vector<Pointer> out{p};
  for (int k = 0; k < rounds; ++k) out.push_back(p = round(g, p));
  return out;
}

bool finished(const Graph& g, const Pointer& p) {
  for (int v = 0; v < g.n(); ++v)
    if (p[p[v]] != p[v]) return false;
  for (const auto& [a, b] : g.edges())
    if (p[a] != p[b]) return false;
  return true;
}

int rounds_needed(const Graph& g) {
  Pointer p(g.n());
  for (int v = 0; v < g.n(); ++v) p[v] = v;
  int r = 0;
  while (!finished(g, p)) {
    EXACTFORMER_ASSERT(r <= 2 * g.n() + 2, "hook_shortcut reference: no convergence on " + to_graph6(g));
    p = round(g, p);
    ++r;
  }
  return r;
}

}  // namespace exactformer::hook_shortcut
