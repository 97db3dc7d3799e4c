#!/usr/bin/python3
"""An independent re-verifier of an `exactformer export` (the certificate-checker idea of DRAT checkers).

    /usr/bin/python3 python/reverify.py DIR [--n-max K]

It shares no code with the C++ tool, nor with the PyTorch package beside it: Python's fractions and json,
its own graph6-free enumeration of labelled graphs, its own BFS and counting. From config.json alone
(format exactformer-model/1: the exact "p/q" weights, the vocabulary, the sequence rule, the decoder) it
runs the model exactly on every labelled graph with 1..K vertices (K = n by default) and every query, with
the edges in lexicographic order, and compares each decoded answer with its own solver. It also measures
the shape (L, H, d, d_k, d_v, MLP, parameter count) from the weights and compares it with the claimed one.

Exit 0: every answer right and the shape as claimed; 1: a wrong answer or shape (printed); 2: an export it
cannot read, or a model it cannot evaluate exactly (softmax(beta), softmax2 off the integers)."""

import json
import os
import re
import sys
from collections import deque
from fractions import Fraction
from itertools import combinations


class NotExact(Exception):
    pass


class BadExport(ValueError):
    pass


# -- the export, checked field by field before anything is built from it (this file's own rules: it shares no
# code with the PyTorch reader, which checks the same format its own way) -------------------------------------
RATIONAL = re.compile(r"-?[0-9]{1,2000}(/[0-9]{1,2000})?")
DECODERS = {"threshold_half", "round_inverse_minus_one", "exact_ratio", "is_zero", "positive_rank", "distance_or_none", "bit_set"}


def load_json(text, what, max_depth=16):
    depth, in_string, escaped = 0, False, False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > max_depth:
                raise BadExport(f"{what}: JSON nested deeper than {max_depth} levels")
        elif c in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except ValueError as e:
        raise BadExport(f"{what}: not JSON ({str(e)[:60]})")


def need(cond, message):
    if not cond:
        raise BadExport(message)


def is_int(x, lo, hi):
    return isinstance(x, int) and not isinstance(x, bool) and lo <= x <= hi


def check_matrix(ref, rows, cols, where):
    need(isinstance(ref, dict) and isinstance(ref.get("exact"), list), f"{where} is not a matrix with exact entries")
    m = ref["exact"]
    need(len(m) > 0 and all(isinstance(r, list) for r in m), f"{where}: no rows")
    width = len(m[0])
    need(all(len(r) == width for r in m), f"{where}: rows of different lengths")
    need(rows is None or len(m) == rows, f"{where}: {len(m)} rows, expected {rows}")
    need(cols is None or width == cols, f"{where}: {width} columns, expected {cols}")
    for r in m:
        for x in r:
            need(isinstance(x, str) and RATIONAL.fullmatch(x) and not ("/" in x and int(x.split("/")[1]) == 0),
                 f"{where}: {str(x)[:40]!r} is not an exact rational p or p/q")
    return len(m), width


def check_config(cfg):
    """Raises BadExport naming the first field that is missing, of the wrong type, or out of range."""
    need(isinstance(cfg, dict), "the config is not a JSON object")
    for key, typ in (("construction", str), ("variant", str), ("task", dict), ("vocabulary", list), ("embedding", dict),
                     ("layers", list), ("decoder", dict), ("sequence", dict), ("claimed", dict)):
        need(isinstance(cfg.get(key), typ), f"{key} is missing or not a {typ.__name__}")
    need(is_int(cfg.get("n"), 1, 4096), f"n = {str(cfg.get('n'))[:20]} is not an integer in 1..4096")
    need(isinstance(cfg["task"].get("name"), str) and is_int(cfg["task"].get("arity"), 0, 2), "task has no name or arity 0..2")
    need(is_int(cfg["sequence"].get("pause_tokens"), 0, 1 << 16), "sequence.pause_tokens is not a count")
    vocab, d = check_matrix(cfg["embedding"], None, None, "embedding")
    seen = set()
    for i, t in enumerate(cfg["vocabulary"]):
        need(isinstance(t, dict) and t.get("kind") in ("vertex", "edge", "task", "pause"), f"vocabulary[{i}] has no known kind")
        need(is_int(t.get("a"), -1, 1 << 16) and is_int(t.get("b"), -1, 1 << 16), f"vocabulary[{i}]: a, b are not integers >= -1")
        need(is_int(t.get("index"), 0, vocab - 1), f"vocabulary[{i}].index {str(t.get('index'))[:20]} is not a row of the embedding (0..{vocab - 1})")
        need((t["kind"], t["a"], t["b"]) not in seen, f"vocabulary[{i}] repeats a token")
        seen.add((t["kind"], t["a"], t["b"]))
    for li, layer in enumerate(cfg["layers"]):
        need(isinstance(layer, dict) and isinstance(layer.get("heads"), list) and isinstance(layer.get("mlp"), list),
             f"layers[{li}] has no heads and mlp lists")
        for hi, h in enumerate(layer["heads"]):
            where = f"layers[{li}].heads[{hi}]"
            need(isinstance(h, dict) and isinstance(h.get("name"), str), f"{where} is not a named head")
            need(h.get("mode") in ("hard", "softmax2", "softmax"), f"{where}: mode {str(h.get('mode'))[:20]!r} is unknown")
            need(h["mode"] != "softmax2" or is_int(h.get("b"), 0, 1000), f"{where}: b is not an integer in 0..1000")
            need(h.get("mask") in ("causal", "none"), f"{where}: mask is not causal or none")
            dk = check_matrix(h.get("wq"), d, None, where + ".wq")[1]
            check_matrix(h.get("wk"), d, dk, where + ".wk")
            dv = check_matrix(h.get("wv"), d, None, where + ".wv")[1]
            check_matrix(h.get("wo"), dv, d, where + ".wo")
        width = d
        for ai, a in enumerate(layer["mlp"]):
            where = f"layers[{li}].mlp[{ai}]"
            need(isinstance(a, dict), f"{where} is not an object")
            out = check_matrix(a.get("weight"), width, d if ai + 1 == len(layer["mlp"]) else None, where + ".weight")[1]
            check_matrix(a.get("bias"), 1, out, where + ".bias")
            width = out
    dec = cfg["decoder"]
    need(dec.get("kind") in DECODERS, f"decoder.kind {str(dec.get('kind'))[:30]!r} is unknown")
    need(isinstance(dec.get("slots"), list) and all(isinstance(s, dict) and is_int(s.get("column"), 0, d - 1) for s in dec["slots"]),
         f"decoder.slots are not columns 0..{d - 1}")


# -- ground truth: the dumbest correct algorithms ------------------------------------------------------------
def neighbours(n, edges):
    adj = [set() for _ in range(n)]
    for a, b in edges:
        adj[a].add(b)
        adj[b].add(a)
    return adj


def bfs_distances(adj, s):
    dist = {s: 0}
    todo = deque([s])
    while todo:
        u = todo.popleft()
        for w in adj[u]:
            if w not in dist:
                dist[w] = dist[u] + 1
                todo.append(w)
    return dist


def components(adj):
    seen, count = set(), 0
    for v in range(len(adj)):
        if v not in seen:
            count += 1
            seen |= set(bfs_distances(adj, v))
    return count


def two_colourable(adj):
    colour = {}
    for s in range(len(adj)):
        if s in colour:
            continue
        colour[s] = 0
        todo = deque([s])
        while todo:
            u = todo.popleft()
            for w in adj[u]:
                if w not in colour:
                    colour[w] = 1 - colour[u]
                    todo.append(w)
                elif colour[w] == colour[u]:
                    return False
    return True


def solve(task, n, edges, q):
    adj = neighbours(n, edges)
    if task == "node_count":
        return n
    if task == "edge_count":
        return len(edges)
    if task == "edge_existence":
        return int(q[0] != q[1] and q[1] in adj[q[0]])
    if task == "node_degree":
        return len(adj[q[0]])
    if task == "connectivity":
        return int(q[1] in bfs_distances(adj, q[0]))
    if task == "component_count":
        return components(adj)
    if task == "cycle_check":
        return int(len(edges) - n + components(adj) > 0)
    if task == "bipartite":
        return int(two_colourable(adj))
    if task == "shortest_path":
        return bfs_distances(adj, q[0]).get(q[1], -1)
    if task == "triangle_count":
        return sum(1 for a, b, c in combinations(range(n), 3) if b in adj[a] and c in adj[a] and c in adj[b])
    if task == "connected_nodes":
        return sum(1 << u for u in adj[q[0]])
    if task == "disconnected_nodes":
        return sum(1 << u for u in range(n) if u != q[0] and u not in adj[q[0]])
    raise NotExact(f"task {task!r} has no solver here")


# -- the model, exactly; a row is a {column: Fraction} of its non-zero entries ------------------------------
def matrix(rows_of_strings):
    """Row-major sparse: for each input row, the list of (column, value) with value != 0."""
    return [[(j, Fraction(x)) for j, x in enumerate(row) if x != "0"] for row in rows_of_strings]


def times(row, m):
    out = {}
    for i, x in row.items():
        for j, w in m[i]:
            out[j] = out.get(j, 0) + x * w
    return {j: v for j, v in out.items() if v != 0}


def add(a, b, scale=1):
    out = dict(a)
    for j, v in b.items():
        out[j] = out.get(j, 0) + scale * v
    return {j: v for j, v in out.items() if v != 0}


def dot(a, b):
    if len(a) > len(b):
        a, b = b, a
    return sum((v * b[j] for j, v in a.items() if j in b), Fraction(0))


class Model:
    def __init__(self, cfg):
        self.cfg = cfg
        self.embedding = [{j: Fraction(x) for j, x in enumerate(row) if x != "0"} for row in cfg["embedding"]["exact"]]
        self.vocab = {(t["kind"], t["a"], t["b"]): t["index"] for t in cfg["vocabulary"]}
        self.layers = []
        for layer in cfg["layers"]:
            heads = []
            for h in layer["heads"]:
                if h["mode"] == "softmax":
                    raise NotExact(f"head {h['name']}: softmax(beta) weights are transcendental; this checker is exact only")
                heads.append(dict(name=h["name"], mode=h["mode"], b=h["b"], causal=h["mask"] == "causal",
                                  wq=matrix(h["wq"]["exact"]), wk=matrix(h["wk"]["exact"]), wv=matrix(h["wv"]["exact"]),
                                  wo=matrix(h["wo"]["exact"])))
            mlp = [(matrix(a["weight"]["exact"]), {j: Fraction(x) for j, x in enumerate(a["bias"]["exact"][0]) if x != "0"})
                   for a in layer["mlp"]]
            self.layers.append((heads, mlp))

    def tokens(self, n, edges, q):
        v = self.vocab
        task = ("task", q[0] if len(q) > 0 else -1, q[1] if len(q) > 1 else -1)
        return ([v[("vertex", i, -1)] for i in range(n)] + [v[("edge", a, b)] for a, b in edges] + [v[task]] +
                [v[("pause", i, -1)] for i in range(self.cfg["sequence"]["pause_tokens"])])

    def attention(self, x, head):
        qs = [times(r, head["wq"]) for r in x]
        ks = [times(r, head["wk"]) for r in x]
        vs = [times(r, head["wv"]) for r in x]
        out = []
        for i in range(len(x)):
            visible = range(i + 1) if head["causal"] else range(len(x))
            scores = [dot(qs[i], ks[j]) for j in visible]
            top = max(scores)
            if head["mode"] == "hard":
                weights = [Fraction(1) if s == top else Fraction(0) for s in scores]
            else:  # softmax2(b): 2^(b s_j - b s_top), exact only where b s is an integer
                weights = []
                for s in scores:
                    e = head["b"] * (s - top)
                    if e.denominator != 1:
                        raise NotExact(f"head {head['name']}: b*score = {head['b'] * s} is not an integer")
                    weights.append(Fraction(1, 2 ** -int(e)))
            total = sum(weights)
            mixed = {}
            for j, w in zip(visible, weights):
                if w:
                    mixed = add(mixed, vs[j], w / total)
            out.append(times(mixed, head["wo"]))
        return out

    def run(self, tokens):
        x = [dict(self.embedding[t]) for t in tokens]
        for heads, mlp in self.layers:
            outs = [self.attention(x, h) for h in heads]
            a = x
            for o in outs:
                a = [add(r, d) for r, d in zip(a, o)]
            if mlp:
                new = []
                for r in a:
                    h = r
                    for k, (w, c) in enumerate(mlp):
                        h = add(times(h, w), c)
                        if k + 1 < len(mlp):
                            h = {j: v for j, v in h.items() if v > 0}
                    new.append(add(r, h))
                a = new
            x = a
        return x[-1]

    def decode(self, row):
        """The answer, or None where the decoder is undefined."""
        d = self.cfg["decoder"]
        o = [row.get(s["column"], Fraction(0)) for s in d["slots"]]
        kind = d["kind"]
        rnd = lambda v: (v + Fraction(1, 2)).__floor__()  # floor(v + 1/2)
        if kind == "threshold_half":
            return int(2 * sum(o) >= 1)
        if kind == "round_inverse_minus_one":
            return None if any(v == 0 for v in o) else rnd(sum(1 / v - 1 for v in o))
        if kind == "exact_ratio":
            if o[1] == 0:
                return None
            r = o[0] / o[1]
            return r.numerator if r.denominator == 1 else None
        if kind == "is_zero":
            return int(o[0] == 0)
        if kind == "positive_rank":
            return int(o[0] - o[1] + o[2] > 0)
        if kind == "distance_or_none":
            return rnd(o[1]) if 2 * o[0] >= 1 else -1
        if kind == "bit_set":
            return sum(1 << i for i, v in enumerate(o) if 2 * v >= 1)
        raise NotExact(f"decoder kind {kind!r} unknown here")


def measured_shape(cfg):
    """L, H, d, d_k, d_v, MLP depth and width, parameter count, from the exact weights alone."""
    shape = dict(layers=len(cfg["layers"]), heads=0, width=len(cfg["embedding"]["exact"][0]), d_k=0, d_v=0, mlp_depth=0,
                 mlp_width=0, params=0)
    for layer in cfg["layers"]:
        shape["heads"] = max(shape["heads"], len(layer["heads"]))
        for h in layer["heads"]:
            shape["d_k"] = max(shape["d_k"], len(h["wq"]["exact"][0]))
            shape["d_v"] = max(shape["d_v"], len(h["wv"]["exact"][0]))
            shape["params"] += sum(len(h[w]["exact"]) * len(h[w]["exact"][0]) for w in ("wq", "wk", "wv", "wo"))
        shape["mlp_depth"] = max(shape["mlp_depth"], max(0, len(layer["mlp"]) - 1))
        for a in layer["mlp"][:-1]:
            shape["mlp_width"] = max(shape["mlp_width"], len(a["weight"]["exact"][0]))
        for a in layer["mlp"]:
            shape["params"] += len(a["weight"]["exact"]) * len(a["weight"]["exact"][0]) + len(a["bias"]["exact"][0])
    return shape


def labelled_graphs(n_max):
    for n in range(1, n_max + 1):
        pairs = list(combinations(range(n), 2))
        for mask in range(1 << len(pairs)):
            yield n, [p for k, p in enumerate(pairs) if (mask >> k) & 1]


def queries(arity, n):
    if arity == 0:
        return [()]
    if arity == 1:
        return [(v,) for v in range(n)]
    return [(u, v) for u in range(n) for v in range(n)]


def main(argv):
    args = list(argv)
    n_max = None
    if "--n-max" in args:
        i = args.index("--n-max")
        if i + 1 >= len(args) or not args[i + 1].isdigit():
            print("reverify: error: --n-max takes a whole number", file=sys.stderr)
            return 2
        n_max = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        print("reverify: error: usage: reverify.py DIR [--n-max K]", file=sys.stderr)
        return 2
    try:
        v2 = os.path.exists(args[0] + "/exactformer.json")  # exactformer-model/2; older exports: config.json, /1
        name = "exactformer.json" if v2 else "config.json"
        with open(args[0] + "/" + name, errors="replace") as f:
            cfg = load_json(f.read(), name)
        need(isinstance(cfg, dict) and cfg.get("format") == ("exactformer-model/2" if v2 else "exactformer-model/1"),
             f"{name}: not an exactformer export (its format: {str(cfg.get('format') if isinstance(cfg, dict) else None)[:40]!r})")
        check_config(cfg)
        model = Model(cfg)
        task, arity, n = cfg["task"]["name"], cfg["task"]["arity"], cfg["n"]
        n_max = n if n_max is None else n_max
        if not 1 <= n_max <= n:
            raise ValueError(f"--n-max {n_max}: the model is built for n <= {n}")
        solve(task, 1, [], (0, 0)[:arity])  # an unknown task is refused before any work
    except (OSError, ValueError, KeyError, IndexError, TypeError, ZeroDivisionError, NotExact) as e:
        print(f"reverify: error: {args[0][:40]}: {str(e)[:120]}", file=sys.stderr)
        return 2

    status = 0
    shape = measured_shape(cfg)
    for key, value in shape.items():
        if cfg["claimed"].get(key) != value:
            print(f"SHAPE {key}: measured {value} from the weights, claimed {cfg['claimed'].get(key)}")
            status = 1
    graphs = pairs = wrong = 0
    try:
        for gn, edges in labelled_graphs(n_max):
            graphs += 1
            for q in queries(arity, gn):
                pairs += 1
                got = model.decode(model.run(model.tokens(gn, edges, q)))
                truth = solve(task, gn, edges, q)
                if got != truth:
                    wrong += 1
                    if wrong == 1:
                        print(f"WRONG n={gn} edges={edges} query={q}: expected {truth}, got {'undefined' if got is None else got}")
    except NotExact as e:
        print(f"reverify: error: {str(e)[:120]} (graph {graphs}); not exactly evaluable here", file=sys.stderr)
        return 2
    except KeyError as e:
        print(f"reverify: error: the vocabulary lacks token {e}", file=sys.stderr)
        return 2
    status = 1 if wrong else status
    print(f"{cfg['construction']} [{cfg['variant']}] n <= {n}: {graphs} labelled graphs with 1..{n_max} vertices, {pairs} (graph, query) "
          f"pairs, {wrong} wrong; shape {'as claimed' if all(cfg['claimed'].get(k) == v for k, v in shape.items()) else 'NOT as claimed'}: "
          + " ".join(f"{k}={v}" for k, v in shape.items()))
    print("HOLDS" if status == 0 else "FAILS")
    return status


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - a bug here is an internal error (exit 3), never a traceback with exit 1
        print(f"reverify: internal error: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
        sys.exit(3)
