"""A transformer in TransformerLens' conventions, and the one call that brings it into exactformer.

`GraphTransformer(cfg)` has exactly HookedTransformer's parameter names and shapes (embed.W_E,
pos_embed.W_pos, blocks.L.ln1.w, blocks.L.attn.W_Q, ..., unembed.W_U) and the forward of docs/import.md:

    x_0[i] = W_E[tok_i] + W_pos[i]
    a = LN1(x);  q, k, v = a W_Q + b_Q, a W_K + b_K, a W_V + b_V;  s = q k^T / attn_scale (+ causal mask)
    r = x + sum_h softmax(s_h) v_h W_O[h] + b_O;  x' = r + act(LN2(r) W_in + b_in) W_out + b_out
    logits = LN_final(x) W_U + b_U

`save_model(model, prompt, DIR)` writes DIR/config.json (HookedTransformerConfig's fields), DIR/model.safetensors
(the state dict, in each tensor's own dtype) and DIR/prompt.json (the graph prompt); then
`exactformer verify --model DIR --n 6` certifies it on every labelled graph. A TransformerLens HookedTransformer
saves the same way: `save_model(tl_model, prompt, DIR)` reads its `cfg` and `state_dict()`.

cfg is a dict with HookedTransformerConfig's names: n_layers, d_model, d_head, n_heads, d_mlp, d_vocab, n_ctx,
act_fn ("relu" | "gelu" | "gelu_new"), normalization_type ("LN" | "LNPre" | None), attention_dir ("causal" |
"bidirectional"), use_attn_scale, attn_scale (-1: sqrt(d_head)), eps, attn_only. `attention` ("softmax",
"hard", "softmax2:B") is exactformer's extension: it lives in the prompt, not in the config."""

import dataclasses
import json
import math
import os
import shutil
import struct
import tempfile

import numpy as np
import torch

TL_DEFAULTS = dict(normalization_type="LN", attention_dir="causal", use_attn_scale=True, attn_scale=-1.0, eps=1e-5,
                   attn_only=False, positional_embedding_type="standard", n_heads=-1, d_vocab_out=-1)


def full_config(cfg):
    c = dict(TL_DEFAULTS)
    c.update(cfg)
    if c["n_heads"] == -1:
        c["n_heads"] = c["d_model"] // c["d_head"]
    if c["d_vocab_out"] == -1:
        c["d_vocab_out"] = c["d_vocab"]
    return c


class _Holder(torch.nn.Module):
    """A module whose parameters are given by name (so that state_dict keys are TransformerLens')."""

    def __init__(self, **params):
        super().__init__()
        for name, t in params.items():
            setattr(self, name, torch.nn.Parameter(t))


class GraphTransformer(torch.nn.Module):
    def __init__(self, cfg, attention="softmax", dtype=torch.float32, seed=None):
        super().__init__()
        self.cfg = full_config(cfg)
        self.attention = attention
        c = self.cfg
        d, H, dh, V = c["d_model"], c["n_heads"], c["d_head"], c["d_vocab"]
        g = torch.Generator().manual_seed(0 if seed is None else seed)

        def init(*shape, scale=None):
            fan_in = shape[-2] if len(shape) >= 2 else shape[-1]
            s = (1.0 / math.sqrt(fan_in)) if scale is None else scale
            return (torch.randn(*shape, generator=g, dtype=torch.float64) * s).to(dtype)

        def zeros(*shape):
            return torch.zeros(*shape, dtype=dtype)

        def ones(*shape):
            return torch.ones(*shape, dtype=dtype)

        ln = c["normalization_type"] == "LN"
        self.embed = _Holder(W_E=init(V, d, scale=1.0))
        self.pos_embed = _Holder(W_pos=init(c["n_ctx"], d, scale=0.1))
        blocks = []
        for _ in range(c["n_layers"]):
            b = torch.nn.Module()
            if ln:
                b.ln1 = _Holder(w=ones(d), b=zeros(d))
            b.attn = _Holder(W_Q=init(H, d, dh), W_K=init(H, d, dh), W_V=init(H, d, dh), W_O=init(H, dh, d),
                             b_Q=zeros(H, dh), b_K=zeros(H, dh), b_V=zeros(H, dh), b_O=zeros(d))
            if not c["attn_only"]:
                if ln:
                    b.ln2 = _Holder(w=ones(d), b=zeros(d))
                b.mlp = _Holder(W_in=init(d, c["d_mlp"]), b_in=zeros(c["d_mlp"]), W_out=init(c["d_mlp"], d), b_out=zeros(d))
            blocks.append(b)
        self.blocks = torch.nn.ModuleList(blocks)
        if ln:
            self.ln_final = _Holder(w=ones(d), b=zeros(d))
        self.unembed = _Holder(W_U=init(d, c["d_vocab_out"]), b_U=zeros(c["d_vocab_out"]))

    # -- the forward of docs/import.md -------------------------------------------------------------------
    def _norm(self, x, holder):
        kind = self.cfg["normalization_type"]
        if kind is None:
            return x
        x = x - x.mean(-1, keepdim=True)
        x = x / (x.pow(2).mean(-1, keepdim=True) + self.cfg["eps"]).sqrt()
        return x if kind == "LNPre" else x * holder.w + holder.b

    def _act(self, x):
        a = self.cfg["act_fn"]
        if a == "relu":
            return torch.relu(x)
        if a == "gelu":
            return torch.nn.functional.gelu(x)
        if a == "gelu_new":
            return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))
        raise ValueError(f"act_fn {a!r}")

    def _weights(self, scores):
        T = scores.shape[-1]
        if self.cfg["attention_dir"] == "causal":
            mask = torch.triu(torch.ones(T, T, dtype=torch.bool, device=scores.device), diagonal=1)
            scores = scores.masked_fill(mask, float("-inf"))
        if self.attention == "softmax":
            return torch.softmax(scores, dim=-1)
        if self.attention.startswith("softmax2:"):
            return torch.softmax(scores * (int(self.attention[9:]) * math.log(2)), dim=-1)
        if self.attention == "hard":
            top = scores.max(dim=-1, keepdim=True).values
            w = (scores == top).to(scores.dtype)
            return w / w.sum(-1, keepdim=True)
        raise ValueError(f"attention {self.attention!r}")

    def forward(self, tokens, return_residuals=False):
        """tokens (B, T) long -> logits (B, T, d_vocab_out); with return_residuals, also the residual stream
        after the embedding and after each block (TransformerLens' hook_resid_post), each (B, T, d)."""
        c = self.cfg
        T = tokens.shape[1]
        x = self.embed.W_E[tokens] + self.pos_embed.W_pos[:T]
        residuals = [x]
        if c["use_attn_scale"]:
            scale = math.sqrt(c["d_head"]) if c["attn_scale"] == -1 else c["attn_scale"]
        else:
            scale = 1.0
        for b in self.blocks:
            a = self._norm(x, getattr(b, "ln1", None))
            q = torch.einsum("btd,hde->bhte", a, b.attn.W_Q) + b.attn.b_Q[None, :, None, :]
            k = torch.einsum("btd,hde->bhte", a, b.attn.W_K) + b.attn.b_K[None, :, None, :]
            v = torch.einsum("btd,hde->bhte", a, b.attn.W_V) + b.attn.b_V[None, :, None, :]
            w = self._weights(torch.einsum("bhie,bhje->bhij", q, k) / scale)
            z = torch.einsum("bhij,bhje->bhie", w, v)
            x = x + torch.einsum("bhie,hed->bid", z, b.attn.W_O) + b.attn.b_O
            if not c["attn_only"]:
                m = self._norm(x, getattr(b, "ln2", None))
                x = x + self._act(m @ b.mlp.W_in + b.mlp.b_in) @ b.mlp.W_out + b.mlp.b_out
            residuals.append(x)
        logits = self._norm(x, getattr(self, "ln_final", None)) @ self.unembed.W_U + self.unembed.b_U
        return (logits, residuals) if return_residuals else logits


# -- prompts ------------------------------------------------------------------------------------------------
ANSWER_YES_NO = {"no": 0, "yes": 1}


def edge_list_prompt(n_max, task, answers=None, orientation="lower_first", query_tokens=None):
    """The edge-list prompt of trained graph models: <bos> u v <e> ... <q> s t <p>, the answer read at the last
    position. answers: {token: value}; by default yes/no, or the counts / distances the task needs."""
    if answers is None:
        if task in ("edge_existence", "connectivity", "cycle_check", "bipartite"):
            answers = dict(ANSWER_YES_NO)
        elif task == "shortest_path":
            answers = {"inf": -1, **{f"d{k}": k for k in range(n_max)}}
        elif task == "node_degree":
            answers = {f"c{k}": k for k in range(n_max)}
        else:
            raise ValueError(f"give answers for task {task!r}")
    arity = {"edge_existence": 2, "connectivity": 2, "shortest_path": 2, "node_degree": 1}.get(task, 0)
    if query_tokens is None:
        query_tokens = ["{s}", "{t}"][:arity]
    vocabulary = ["<bos>"] + [str(i) for i in range(n_max)] + ["<e>", "<q>", "<p>"] + list(answers)
    return {"format": "exactformer-prompt/1", "task": task, "vocabulary": vocabulary,
            "template": ["<bos>", {"each": "edge", "tokens": ["{u}", "{v}", "<e>"]}, "<q>", *query_tokens, "<p>"],
            "edge_order": "lexicographic", "orientation": orientation, "readout": -1, "answers": answers}


def tokenize(prompt, n, edges, query):
    """The token ids of a graph on n vertices with `edges` in this order and `query` (a tuple of vertices), as
    exactformer forms them (verify/imported/prompt.cpp)."""
    ids = {t: i for i, t in enumerate(prompt["vocabulary"])}
    both = prompt.get("orientation", "lower_first") == "both"
    var = {"n": n, "m": len(edges) * (2 if both else 1)}
    if len(query) > 0:
        var["s"] = query[0]
    if len(query) > 1:
        var["t"] = query[1]
    out = []

    def emit(pattern, extra):
        name = pattern
        for key, value in {**var, **extra}.items():
            name = name.replace("{" + key + "}", str(value))
        out.append(ids[name])

    for item in prompt["template"]:
        if isinstance(item, str):
            emit(item, {})
        elif "repeat" in item:
            for k in range(item["repeat"]):
                for t in item["tokens"]:
                    emit(t, {"k": k})
        elif item["each"] == "vertex":
            for i in range(n):
                if i > 0:
                    for t in item.get("between", []):
                        emit(t, {})
                for t in item["tokens"]:
                    emit(t, {"i": i})
        else:
            first = True
            for a, b in edges:
                for u, v in ([(min(a, b), max(a, b)), (max(a, b), min(a, b))] if both else [(min(a, b), max(a, b))]):
                    if not first:
                        for t in item.get("between", []):
                            emit(t, {})
                    first = False
                    for t in item["tokens"]:
                        emit(t, {"u": u, "v": v})
    return out


# -- saving --------------------------------------------------------------------------------------------------
_DTYPES = {torch.float64: ("F64", "<f8"), torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2")}


def safetensors_bytes(tensors, metadata=None):
    """The safetensors layout: 8-byte little-endian header length, JSON header (padded with spaces to a multiple
    of 8), raw little-endian row-major tensors."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        if t.dtype == torch.bfloat16:
            code, raw = "BF16", (t.view(torch.int16).numpy().astype("<i2").tobytes())
        elif t.dtype in _DTYPES:
            code, np_dtype = _DTYPES[t.dtype]
            raw = t.numpy().astype(np_dtype).tobytes()
        else:
            raise ValueError(f"tensor {name}: dtype {t.dtype} (float64, float32, float16 or bfloat16)")
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text.encode() + b"".join(chunks)


def _config_dict(model):
    cfg = getattr(model, "cfg", None)
    if cfg is None:
        raise ValueError("save_model: the model has no cfg (a GraphTransformer or a TransformerLens HookedTransformer)")
    if dataclasses.is_dataclass(cfg):
        cfg = dataclasses.asdict(cfg)
    out = {}
    for k, v in dict(cfg).items():
        if isinstance(v, torch.dtype):
            v = str(v).replace("torch.", "")
        if isinstance(v, (str, int, float, bool, type(None))) or (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            out[k] = v
    return out


def save_model(model, prompt, directory):
    """Writes DIR/config.json, DIR/model.safetensors and DIR/prompt.json, replacing DIR whole (a staging
    directory beside it is renamed into place, so DIR never holds half a model). Buffers that are not weights
    (TransformerLens' attn.mask, attn.IGNORE) are left out."""
    if isinstance(model, GraphTransformer):  # its attention rule is exactformer's extension: stated in the prompt
        if prompt.get("attention", model.attention) != model.attention:
            raise ValueError(f"save_model: the prompt says attention {prompt['attention']!r}, the model {model.attention!r}")
        prompt = dict(prompt, attention=model.attention)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith((".attn.mask", ".attn.IGNORE"))}
    directory = os.path.abspath(directory)
    parent = os.path.dirname(directory)
    staging = tempfile.mkdtemp(prefix="." + os.path.basename(directory) + ".staging-", dir=parent)
    try:
        with open(os.path.join(staging, "config.json"), "w") as f:
            json.dump(_config_dict(model), f, indent=1)
        with open(os.path.join(staging, "model.safetensors"), "wb") as f:
            f.write(safetensors_bytes(state, {"format": "pt"}))
        with open(os.path.join(staging, "prompt.json"), "w") as f:
            json.dump(prompt, f, indent=1)
        if os.path.isdir(directory):
            old = directory + ".old-" + os.path.basename(staging)
            os.rename(directory, old)
            os.rename(staging, directory)
            shutil.rmtree(old)
        else:
            os.rename(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_model(directory, dtype=torch.float64):
    """A saved directory back as a GraphTransformer (the test oracle: PyTorch's view of the same weights)."""
    with open(os.path.join(directory, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(directory, "prompt.json")) as f:
        prompt = json.load(f)
    model = GraphTransformer({k: v for k, v in cfg.items()}, attention=prompt.get("attention", "softmax"), dtype=dtype)
    with open(os.path.join(directory, "model.safetensors"), "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    codes = {"F64": "<f8", "F32": "<f4", "F16": "<f2"}
    state = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        raw = data[base + a:base + b]
        if e["dtype"] == "BF16":
            arr = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = arr.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=codes[e["dtype"]])
        state[name] = torch.from_numpy(arr.astype(np.float64).reshape(e["shape"])).to(dtype)
    model.load_state_dict(state)
    return model, prompt
