"""Graphs for the replay: graph6 (nauty's formats.txt) in and out, and every labelled graph."""

from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Graph:
    n: int
    edges: tuple  # (a, b) with a < b, in lexicographic order

    def adjacent(self, a, b):
        return (min(a, b), max(a, b)) in set(self.edges)


def from_graph6(line):
    line = line.strip()
    if line.startswith(">>graph6<<"):
        line = line[10:]
    if not line:
        raise ValueError("empty graph6 line")
    data = [ord(c) - 63 for c in line]
    if any(x < 0 or x > 63 for x in data):
        raise ValueError(f"graph6: bad byte in {line[:40]!r}")
    if data[0] == 63:
        raise ValueError("graph6: n > 62 is not supported here")
    n, bits = data[0], data[1:]
    pairs = [(i, j) for j in range(n) for i in range(j)]  # column by column: (0,1), (0,2), (1,2), (0,3), ...
    if len(bits) != (len(pairs) + 5) // 6:
        raise ValueError(f"graph6: {line[:40]!r} has {len(bits)} data bytes, n = {n} needs {(len(pairs) + 5) // 6}")
    edges = [p for k, p in enumerate(pairs) if (bits[k // 6] >> (5 - k % 6)) & 1]
    return Graph(n, tuple(sorted(edges)))


def to_graph6(g):
    pairs = [(i, j) for j in range(g.n) for i in range(j)]
    present = set(g.edges)
    out = [g.n + 63]
    for k in range(0, len(pairs), 6):
        x = 0
        for i, p in enumerate(pairs[k:k + 6]):
            if p in present:
                x |= 1 << (5 - i)
        out.append(x + 63)
    return "".join(map(chr, out))


def labelled_graphs(n_max):
    """Every labelled graph on 1..n_max vertices."""
    for n in range(1, n_max + 1):
        pairs = list(combinations(range(n), 2))
        for mask in range(1 << len(pairs)):
            yield Graph(n, tuple(p for k, p in enumerate(pairs) if (mask >> k) & 1))


def labelled_count(n_max):
    return sum(1 << (n * (n - 1) // 2) for n in range(1, n_max + 1))


def queries(arity, n):
    """Every query of a task on n vertices, in the exact tool's order."""
    if arity == 0:
        return [()]
    if arity == 1:
        return [(v,) for v in range(n)]
    return [(u, v) for u in range(n) for v in range(n)]
