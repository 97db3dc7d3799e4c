"""An exported construction as a torch nn.Module, in a chosen dtype.

Semantics (docs/model-format.md): X is (B, T, d), one row per token.
    layer:  A  = X + sum_h Attn_h(X),   X' = A + MLP(A)        (no MLP: X' = A)
    Attn_h(X)_i = sum_j w_ij (X_j W_V) W_O,  s_ij = (X_i W_Q) . (X_j W_K), over j <= i when the head is causal
      hard        w_i = uniform on {j : s_ij >= max_j s_ij - tol_i},  tol_i = tie_rtol * max(1, |max_j s_ij|)
      softmax2(b) w_i = softmax(b ln 2 * s_i)
      softmax(β)  w_i = softmax(β * s_i)
    MLP(a) = relu(... relu(a W_1 + c_1) ...) W_m + c_m
The answer is decoded from the last row by the exported decoder, in the same dtype."""

import math
from fractions import Fraction

import numpy as np
import torch

from .graphs import queries

DTYPES = {"float64": torch.float64, "float32": torch.float32, "bfloat16": torch.bfloat16}
# Hard attention's tie tolerance, relative to max(1, |top score|): 8 units in the last place of the dtype.
DEFAULT_TIE_RTOL = {name: 8 * torch.finfo(dt).eps for name, dt in DTYPES.items()}


class ExportedTransformer(torch.nn.Module):
    def __init__(self, export, dtype="float64", tie_rtol=None):
        super().__init__()
        if dtype not in DTYPES:
            raise ValueError(f"dtype {dtype!r}: one of {', '.join(DTYPES)}")
        self.export = export
        self.dtype_name = dtype
        self.tie_rtol = DEFAULT_TIE_RTOL[dtype] if tie_rtol is None else tie_rtol
        dt = DTYPES[dtype]
        t = {k: torch.from_numpy(v).to(dt) for k, v in export.tensors.items()}
        cfg = export.config
        self.embedding = torch.nn.Parameter(t[cfg["embedding"]["tensor"]], requires_grad=False)
        self.layers = []
        for layer in cfg["layers"]:
            heads = []
            for h in layer["heads"]:
                if h["mode"] == "hard":
                    inv_temp = None
                elif h["mode"] == "softmax2":
                    inv_temp = h["b"] * math.log(2)
                elif h["mode"] == "softmax":
                    inv_temp = float(Fraction(h["beta"]))
                else:
                    raise ValueError(f"head {h['name']}: unknown mode {h['mode']!r}")
                heads.append(dict(wq=t[h["wq"]["tensor"]], wk=t[h["wk"]["tensor"]], wv=t[h["wv"]["tensor"]],
                                  wo=t[h["wo"]["tensor"]], inv_temp=inv_temp, causal=h["mask"] == "causal"))
            mlp = [(t[a["weight"]["tensor"]], t[a["bias"]["tensor"]].reshape(-1)) for a in layer["mlp"]]
            # One matrix for every projection of the layer (columns: each head's W_Q, W_K, W_V): one product, not 3H.
            projections = torch.cat([h[w] for h in heads for w in ("wq", "wk", "wv")], dim=1) if heads else None
            self.layers.append((heads, projections, mlp))
        self.decoder = cfg["decoder"]
        self.decoder_columns = torch.tensor([s["column"] for s in self.decoder["slots"]], dtype=torch.long)
        self.vocab = export.token_index()
        self.pause = cfg["sequence"]["pause_tokens"]

    # -- tokens ----------------------------------------------------------------------------------------------
    def tokens(self, graph, query):
        """Vocabulary indices of (graph, query): vertices, edges (lexicographic), the task token, pause tokens."""
        return self.graph_tokens(graph) + [self.task_index(query)] + self.pause_indices()

    def graph_tokens(self, graph):
        v = self.vocab
        return [v[("vertex", i, -1)] for i in range(graph.n)] + [v[("edge", a, b)] for a, b in graph.edges]

    def task_index(self, query):
        a = query[0] if len(query) > 0 else -1
        b = query[1] if len(query) > 1 else -1
        return self.vocab[("task", a, b)]

    def pause_indices(self):
        return [self.vocab[("pause", i, -1)] for i in range(self.pause)]

    def batch(self, graphs_and_queries):
        """(B, T) token indices of equally long sequences."""
        return torch.tensor([self.tokens(g, q) for g, q in graphs_and_queries], dtype=torch.long)

    # -- the forward pass ----------------------------------------------------------------------------------
    def attend(self, q, k, v, head):
        s = torch.einsum("btk,bsk->bts", q, k)  # (B, T, T); einsum: Debian's torch runs small float64 bmm slowly
        T = s.shape[1]
        if head["causal"]:
            hidden = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
            s = s.masked_fill(hidden, float("-inf"))
        if head["inv_temp"] is None:
            top = s.max(dim=2, keepdim=True).values
            tol = self.tie_rtol * torch.clamp(top.abs(), min=1)
            chosen = (s >= top - tol).to(s.dtype)
            w = chosen / chosen.sum(dim=2, keepdim=True)
        else:
            w = torch.softmax(s * head["inv_temp"], dim=2)
        out = torch.einsum("bts,bsv->btv", w, v)
        return (out.reshape(-1, out.shape[2]) @ head["wo"]).reshape(out.shape[0], out.shape[1], -1)

    def forward(self, tokens):
        """The residual stream after the last layer, (B, T, d)."""
        x = self.embedding[tokens]
        B, T, d = x.shape
        for heads, projections, mlp in self.layers:
            a = x
            if heads:
                p = (x.reshape(B * T, d) @ projections).reshape(B, T, -1)
                col = 0
                for head in heads:
                    dk, dv = head["wq"].shape[1], head["wv"].shape[1]
                    q, k, v = p[..., col:col + dk], p[..., col + dk:col + 2 * dk], p[..., col + 2 * dk:col + 2 * dk + dv]
                    col += 2 * dk + dv
                    a = a + self.attend(q, k, v, head)
            if mlp:
                h = a.reshape(B * T, d)
                for i, (w, c) in enumerate(mlp):
                    h = torch.addmm(c, h, w)
                    if i + 1 < len(mlp):
                        h = torch.relu(h)
                a = a + h.reshape(B, T, d)
            x = a
        return x

    def readout(self, tokens):
        return self.forward(tokens)[:, -1, :]

    # -- decoding, in the model's dtype ------------------------------------------------------------------------
    def decode(self, readout):
        """(answers int64, defined bool), one per row; an undefined answer (1/0, a non-integer ratio, a
        non-finite value) has defined = False."""
        o = readout[:, self.decoder_columns]
        kind = self.decoder["kind"]
        one, half = torch.ones((), dtype=o.dtype), torch.tensor(0.5, dtype=o.dtype)
        defined = torch.ones(o.shape[0], dtype=torch.bool)
        if kind == "threshold_half":
            ans = (2 * o.sum(dim=1) >= one).long()
        elif kind == "round_inverse_minus_one":
            defined = (o != 0).all(dim=1)
            value = torch.floor((one / o - one).sum(dim=1) + half)
            defined &= torch.isfinite(value)
            ans = torch.where(defined, value, torch.zeros_like(value)).long()
        elif kind == "exact_ratio":
            r = o[:, 0] / o[:, 1]
            defined = (o[:, 1] != 0) & torch.isfinite(r) & (torch.floor(r) == r)
            ans = torch.where(defined, r, torch.zeros_like(r)).long()
        elif kind == "is_zero":
            ans = (o[:, 0] == 0).long()
        elif kind == "positive_rank":
            ans = (o[:, 0] - o[:, 1] + o[:, 2] > 0).long()
        elif kind == "distance_or_none":
            d = torch.floor(o[:, 1] + half)
            defined = ~(2 * o[:, 0] >= one) | torch.isfinite(d)
            ans = torch.where(2 * o[:, 0] >= one, torch.where(torch.isfinite(d), d, torch.zeros_like(d)),
                              -torch.ones_like(d)).long()
        elif kind == "bit_set":
            bits = (2 * o >= one).long()
            ans = (bits * (2 ** torch.arange(o.shape[1], dtype=torch.long))).sum(dim=1)
        else:
            raise ValueError(f"unknown decoder kind {kind!r}")
        return ans, defined

    def answers(self, graphs_and_queries):
        """[answer or None] for a list of (graph, query) whose token sequences are equally long."""
        with torch.no_grad():
            ans, ok = self.decode(self.readout(self.batch(graphs_and_queries)))
        return [int(a) if d else None for a, d in zip(ans.tolist(), ok.tolist())]


def sequences(model, graphs):
    """Every (graph, query) of the task on each graph, grouped by sequence length: {T: [(graph, query)]}."""
    groups = {}
    for g in graphs:
        for q in queries(model.export.arity, g.n):
            groups.setdefault(g.n + len(g.edges) + 1 + model.pause, []).append((g, q))
    return groups


def run_all(model, graphs, batch_size=4096):
    """{(graph6, query): answer or None} over every graph and query, batched by sequence length."""
    from .graphs import to_graph6
    out, names = {}, {}  # names: each graph's graph6, made once (not once per query)
    for _, items in sorted(sequences(model, graphs).items()):
        for k in range(0, len(items), batch_size):
            chunk = items[k:k + batch_size]
            for (g, q), a in zip(chunk, model.answers(chunk)):
                if id(g) not in names:
                    names[id(g)] = to_graph6(g)
                out[(names[id(g)], q)] = a
    return out
