"""Imported models (docs/import.md): python/exactformer_torch/tl.py's module, saved with save_model, certified by
`exactformer verify --model`.

    test_import.py EXACTFORMER WORKDIR enclosures   random models of every feature (LN / LNPre / none, gelu /
        gelu_new / relu, causal / bidirectional, biases, sqrt(d_head) / given / no scale, softmax / hard / softmax2):
        the tool's residual enclosures after the embedding and every block contain PyTorch's float64 residuals on
        every labelled graph with n <= 3 and every query, and its verdict counts equal PyTorch's float64 argmax.
    test_import.py EXACTFORMER WORKDIR bad          hostile model directories: exit 2, one line naming the file and
        the problem, no output file written.
Run with Debian's /usr/bin/python3 (python3-torch)."""

import itertools
import json
import os
import shutil
import struct
import subprocess
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from exactformer_torch.graphs import from_graph6, labelled_graphs  # noqa: E402
from exactformer_torch.tl import GraphTransformer, edge_list_prompt, save_model, tokenize  # noqa: E402

TOOL, WORK, WHAT = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(WORK, exist_ok=True)

VARIANTS = [
    ("ln_gelu_causal", dict(normalization_type="LN", act_fn="gelu", attention_dir="causal"), "softmax"),
    ("lnpre_gelunew_bidir", dict(normalization_type="LNPre", act_fn="gelu_new", attention_dir="bidirectional"), "softmax"),
    ("none_relu_scale3", dict(normalization_type=None, act_fn="relu", attn_scale=3.0), "softmax"),
    ("ln_relu_noscale_softmax2", dict(normalization_type="LN", act_fn="relu", use_attn_scale=False), "softmax2:2"),
    ("attnonly_hard", dict(normalization_type=None, attn_only=True, attention_dir="bidirectional"), "hard"),
]


def random_model(extra, attention, seed, task="edge_existence", n=3):
    prompt = edge_list_prompt(n, task)
    cfg = dict(n_layers=2, d_model=8, d_head=4, n_heads=2, d_mlp=12, d_vocab=len(prompt["vocabulary"]), n_ctx=32)
    cfg.update(extra)
    m = GraphTransformer(cfg, attention=attention, dtype=torch.float64, seed=seed)
    g = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        for name, p in m.named_parameters():  # biases and LN weights away from their initial 0 / 1
            if name.split(".")[-1] in ("b", "b_Q", "b_K", "b_V", "b_O", "b_in", "b_out", "b_U", "w"):
                p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=torch.float64))
            if attention == "hard":  # integer weights: hard attention's argmax is then decided exactly
                p.copy_(torch.round(p * 4))
    return m, prompt


def run(args, expect):
    r = subprocess.run([TOOL] + args, capture_output=True, text=True)
    if r.returncode not in expect:
        sys.exit(f"FAIL: {' '.join(args)} exited {r.returncode}, expected {expect}\n{r.stdout}\n{r.stderr}")
    return r


def enclosures():
    checked = 0
    for name, extra, attention in VARIANTS:
        model, prompt = random_model(extra, attention, seed=len(name))
        d = os.path.join(WORK, name)
        save_model(model, prompt, d)
        out, js = os.path.join(WORK, name + ".jsonl"), os.path.join(WORK, name + ".json")
        run(["verify", "--model", d, "--n", "3", "--enclosures", out, "--json", js, "--quiet"], (0, 1))
        answers = [prompt["vocabulary"].index(t) for t in sorted(prompt["answers"], key=lambda t: prompt["vocabulary"].index(t))]
        values = {prompt["vocabulary"].index(t): v for t, v in prompt["answers"].items()}
        right = 0
        for line in open(out):
            rec = json.loads(line)
            g = from_graph6(rec["graph6"])
            tokens = tokenize(prompt, g.n, list(g.edges), tuple(rec["query"]))
            if tokens != rec["tokens"]:
                sys.exit(f"FAIL {name}: tokens of {rec['graph6']} {rec['query']}: python {tokens}, tool {rec['tokens']}")
            if "undecidable" in rec:
                sys.exit(f"FAIL {name}: {rec['graph6']} {rec['query']} undecidable at double precision: {rec['undecidable']}")
            with torch.no_grad():
                logits, residuals = model(torch.tensor([tokens]), return_residuals=True)
            for stage, (enc, res) in enumerate(zip(rec["stages"], residuals)):
                for i, row in enumerate(enc):
                    for c, (lo, hi) in enumerate(row):
                        x = res[0, i, c].item()
                        slack = 1e-12 * (1 + abs(x))  # float64's own rounding: PyTorch is not exact either
                        if not (lo - slack <= x <= hi + slack) or hi - lo > 1e-6:
                            sys.exit(f"FAIL {name}: {rec['graph6']} {rec['query']} stage {stage} row {i} col {c}: "
                                     f"torch {x!r} outside [{lo!r}, {hi!r}]")
                        checked += 1
            last = logits[0, -1]
            truth = solve(g, rec["query"])
            best = max(answers, key=lambda a: last[a].item())
            right += values[best] == truth
        result = json.load(open(js))
        if result["undecided"] != 0 or result["right"] != right:
            sys.exit(f"FAIL {name}: tool right {result['right']} undecided {result['undecided']}, PyTorch float64 right {right}")
        print(f"{name}: {result['inputs']} inputs, right {right} (tool and PyTorch agree)")
    print(f"enclosures: {checked} activations inside the tool's enclosures")


def solve(g, query):
    s, t = query
    return int(s != t and (min(s, t), max(s, t)) in set(g.edges))


def bad():
    model, prompt = random_model(VARIANTS[0][1], "softmax", seed=5)
    good = os.path.join(WORK, "good")
    save_model(model, prompt, good)
    st = open(os.path.join(good, "model.safetensors"), "rb").read()
    (hn,) = struct.unpack("<Q", st[:8])
    header = json.loads(st[8:8 + hn])
    data = st[8 + hn:]
    cfg = json.load(open(os.path.join(good, "config.json")))

    def header_bytes(h, payload=data):
        text = json.dumps(h)
        return struct.pack("<Q", len(text)) + text.encode() + payload

    def with_header(mutate):
        h = json.loads(json.dumps(header))
        mutate(h)
        return header_bytes(h)

    def nan_in(name, index):
        e = header[name]
        a = e["data_offsets"][0] + 8 * index  # the test models are float64
        return header_bytes(header, data[:a] + struct.pack("<d", float("nan")) + data[a + 8:])

    def shift(h, name, by):
        h[name]["data_offsets"] = [h[name]["data_offsets"][0] + by, h[name]["data_offsets"][1] + by]

    def cfg_with(**kv):
        c = dict(cfg)
        for k, v in kv.items():
            if v is None and k.startswith("-"):
                c.pop(k[1:])
            else:
                c[k] = v
        return json.dumps(c)

    def prompt_with(**kv):
        p = json.loads(json.dumps(prompt))
        p.update(kv)
        return json.dumps(p)

    cases = [  # (name, file, bytes or text, what the error line must say)
        ("header length past the end", "model.safetensors", struct.pack("<Q", 10 ** 9) + st[8:], "past the end"),
        ("short file", "model.safetensors", b"\x01\x02", "shorter than"),
        ("header not JSON", "model.safetensors", struct.pack("<Q", 5) + b"{nope" + data, "not JSON"),
        ("nested header", "model.safetensors", struct.pack("<Q", 200000) + b"[" * 100000 + b"]" * 100000, "nested deeper"),
        ("out of range offsets", "model.safetensors", with_header(lambda h: shift(h, "unembed.b_U", 10 ** 6)), "past the data region"),
        ("overlapping offsets", "model.safetensors",
         with_header(lambda h: h["embed.W_E"].update(data_offsets=h["pos_embed.W_pos"]["data_offsets"], shape=h["pos_embed.W_pos"]["shape"])), "overlap"),
        ("byte count", "model.safetensors", with_header(lambda h: h["unembed.b_U"].update(shape=[3])), "needs"),
        ("unknown dtype", "model.safetensors", with_header(lambda h: h["unembed.b_U"].update(dtype="F8_E4M3")), "unknown dtype"),
        ("missing tensor", "model.safetensors", with_header(lambda h: h.pop("blocks.1.mlp.W_out")), "blocks.1.mlp.W_out"),
        ("unexpected tensor", "model.safetensors", with_header(lambda h: h.update({"blocks.9.attn.W_Q": dict(dtype="F64", shape=[0], data_offsets=[0, 0])})), "unexpected tensor"),
        ("shape against config", "model.safetensors", with_header(lambda h: h["unembed.b_U"].update(shape=[1, h["unembed.b_U"]["shape"][0]])), "the config says"),
        ("NaN weight", "model.safetensors", nan_in("blocks.0.attn.W_Q", 7), "NaN at flat index 7"),
        ("config not JSON", "config.json", "{", "not JSON"),
        ("config missing field", "config.json", cfg_with(**{"-d_model": None}), "missing field \"d_model\""),
        ("rotary", "config.json", cfg_with(positional_embedding_type="rotary"), "rotary"),
        ("parallel attention", "config.json", cfg_with(parallel_attn_mlp=True), "parallel_attn_mlp"),
        ("gated MLP", "config.json", cfg_with(gated_mlp=True), "gated_mlp"),
        ("RMSNorm", "config.json", cfg_with(normalization_type="RMS"), "RMSNorm"),
        ("grouped-query attention", "config.json", cfg_with(n_key_value_heads=1), "grouped-query"),
        ("unknown field", "config.json", cfg_with(flux_capacitor=1), "unknown config field"),
        ("heads against tensors", "config.json", cfg_with(n_heads=4), "the config says"),
        ("prompt token not in vocabulary", "prompt.json",
         prompt_with(template=["<bos>", {"each": "edge", "tokens": ["{u}", "{v}", "<edge>"]}, "<q>", "{s}", "{t}", "<p>"]), "not in the vocabulary"),
        ("answer map misses an answer", "prompt.json", prompt_with(answers={"yes": 1}), "no answer token means 0"),
        ("n beyond vocabulary", "prompt.json", prompt_with(vocabulary=[t for t in prompt["vocabulary"] if t != "2"]), "not in the vocabulary"),
        ("bad placeholder", "prompt.json", prompt_with(template=["<bos>", "{x}"]), "placeholders"),
        ("half an export", "model.safetensors", None, "no model.safetensors"),
    ]
    # An exactformer export (exactformer-model/2) read back by verify --model: hostile edits of its files.
    exported = os.path.join(WORK, "good_export")
    subprocess.run([TOOL, "export", "edge_existence", "--n", "3", "--out", exported], check=True, capture_output=True)
    with open(os.path.join(exported, "exactformer.json")) as fh:
        ex = json.load(fh)

    def ex_with(edit):
        e = json.loads(json.dumps(ex))
        edit(e)
        return json.dumps(e)

    def set_weight(e, value):
        e["layers"][0]["heads"][0]["wq"]["exact"][0][0] = value

    ex_cases = [
        ("export format", "exactformer.json", ex_with(lambda e: e.update(format="exactformer-model/9")), "\"format\" must be"),
        ("export nested", "exactformer.json", "[" * 100000 + "]" * 100000, "nested deeper"),
        ("export not rational", "exactformer.json", ex_with(lambda e: set_weight(e, "1/0")), "is not a rational"),
        ("export weight changed", "exactformer.json", ex_with(lambda e: set_weight(e, "7/3")), "disagree"),
        ("export vocabulary", "exactformer.json", ex_with(lambda e: e["vocabulary"][1].update(a=2)), "exporter's vocabulary"),
        ("export n", "exactformer.json", ex_with(lambda e: e.update(n=100000)), "outside"),
        ("export task", "exactformer.json", ex_with(lambda e: e["task"].update(name="planarity")), "is not a task"),
        ("export head mode", "exactformer.json", ex_with(lambda e: e["layers"][0]["heads"][0].update(mode="banana")), "hard, softmax2 or softmax"),
        ("export matrix rows", "exactformer.json", ex_with(lambda e: e["layers"][0]["heads"][0]["wk"]["exact"].pop()), "rows"),
        ("export decoder arity", "exactformer.json", ex_with(lambda e: e["decoder"].update(slots=[])), "reads 1"),
        ("export decoder column", "exactformer.json", ex_with(lambda e: e["decoder"]["slots"][0].update(column=10 ** 6)), "outside"),
        ("export embedding too large", "exactformer.json",
         ex_with(lambda e: e["embedding"]["exact"][0].__setitem__(0, "123456789012345678901234567890")), "64-bit fraction"),
        ("export view claim", "exactformer.json", ex_with(lambda e: e.update(transformer_lens={"view": False, "why_not": "x"})), "says there is no"),
        ("export slots", "exactformer.json", ex_with(lambda e: e["slots"][0].update(offset=1)), "tile the width"),
        ("export prompt edited", "prompt.json", json.dumps(dict(json.load(open(os.path.join(exported, "prompt.json"))), readout=-2)),
         "the two views disagree"),
        ("export without prompt", "prompt.json", None, "missing or not a regular file"),
    ]
    failures = 0
    for base, group in ((good, cases), (exported, ex_cases)):
        for name, f, content, expect in group:
            d = os.path.join(WORK, "bad_" + name.replace(" ", "_"))
            shutil.rmtree(d, ignore_errors=True)
            shutil.copytree(base, d)
            if content is None:
                os.remove(os.path.join(d, f or "model.safetensors"))
            else:
                with open(os.path.join(d, f), "wb" if isinstance(content, bytes) else "w") as fh:
                    fh.write(content)
            out = os.path.join(WORK, "bad_out.json")
            if os.path.exists(out):
                os.remove(out)
            r = subprocess.run([TOOL, "verify", "--model", d, "--n", "3", "--json", out, "--quiet"], capture_output=True, text=True)
            lines = r.stderr.strip().splitlines()
            ok = r.returncode == 2 and len(lines) == 1 and expect in lines[0] and len(lines[0]) < 400 and not os.path.exists(out) and r.stdout == ""
            print(f"{'ok  ' if ok else 'FAIL'} {name}: exit {r.returncode}: {r.stderr.strip()[:200]}")
            failures += not ok
    r = subprocess.run([TOOL, "verify", "--model", exported, "--n", "4", "--quiet"], capture_output=True, text=True)
    ok = r.returncode == 2 and "at most 3 vertices" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    print(f"{'ok  ' if ok else 'FAIL'} export checked past its n: {r.stderr.strip()[:200]}")
    failures += not ok
    # n beyond n_ctx
    r = subprocess.run([TOOL, "verify", "--model", good, "--n", "6", "--quiet"], capture_output=True, text=True)
    ok = r.returncode == 2 and ("n_ctx" in r.stderr or "vocabulary" in r.stderr)
    print(f"{'ok  ' if ok else 'FAIL'} n past the prompt's vertices: {r.stderr.strip()[:200]}")
    failures += not ok
    if failures:
        sys.exit(f"{failures} bad-input cases broke the contract")


{"enclosures": enclosures, "bad": bad}[WHAT]()
