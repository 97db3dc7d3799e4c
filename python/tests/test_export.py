#!/usr/bin/python3
"""ctest's checks of the export, the PyTorch side and the independent re-verifier (tests/CMakeLists.txt).

    test_export.py EXACTFORMER WORKDIR reverify MODE I/K   every construction built in MODE (the I-th of K shards):
                                                         export at n = 4, python/reverify.py must hold
    test_export.py EXACTFORMER WORKDIR corrupt           corrupted exports must fail the re-verifier (exit 1), a
                                                         malformed one is refused (exit 2)
    test_export.py EXACTFORMER WORKDIR malformed         every malformed export (a list for an object, deep nesting, a
                                                         missing tensor, an index out of range, a non-integer n, an
                                                         unknown mode or decoder, a bad beta, 1e999999, ...) and bad
                                                         arguments: replay and the re-verifier exit 2 with one line
    test_export.py EXACTFORMER WORKDIR float64           where the exact tool's double evaluator answers every query
                                                         right (`exactformer bench --n 3`), PyTorch float64 hard
                                                         attention readouts equal the exact readouts as floats;
                                                         replay's float64 answers equal the exact tool's
Exit 0 on success; otherwise the first problem on stderr, exit 1."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
REVERIFY = HERE.parent / "reverify.py"
N = 4
# A model whose pause tokens would make sequences longer than this at n = 4 is checked at n = 3: the
# re-verifier redoes every row of every layer in Python fractions (cost ~ T^2 per head).
MAX_TOKENS = 48


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def constructions(exe):
    out = run([exe, "list", "--modes"]).stdout
    return [(line.split()[0], line.split()[1].split(",")) for line in out.splitlines() if line.strip()]


def export(exe, name, mode, n, out):
    r = run([exe, "export", name, "--n", n, "--mode", mode, "--out", out])
    if r.returncode != 0:
        raise SystemExit(f"export {name} --mode {mode} --n {n} exited {r.returncode}: {r.stderr.strip()}")
    return json.loads((Path(out) / "exactformer.json").read_text())


def export_small(exe, name, mode, out):
    cfg = export(exe, name, mode, N, out)
    if N + N * (N - 1) // 2 + 1 + cfg["sequence"]["pause_tokens"] > MAX_TOKENS:
        cfg = export(exe, name, mode, N - 1, out)
    return cfg


def reverify(directory):
    return run(["/usr/bin/python3", REVERIFY, directory])


def cmd_reverify(exe, work, mode, shard):
    i, k = (int(x) for x in shard.split("/"))
    names = [name for name, modes in constructions(exe) if mode in modes]
    mine = names[i::k]
    if not mine:
        raise SystemExit("no construction in this shard: nothing would be tested")
    for name in mine:
        d = work / f"{name}.{mode}"
        cfg = export_small(exe, name, mode, d)
        r = reverify(d)
        if r.returncode != 0 or "HOLDS" not in r.stdout:
            raise SystemExit(f"reverify {name} [{cfg['variant']}] exited {r.returncode}:\n{r.stdout}{r.stderr}")
        print(r.stdout.strip().splitlines()[0])


def cmd_corrupt(exe, work):
    # One weight changed: node_count's value projection reads `one` twice as strongly; every count moves.
    d = work / "corrupt.node_count"
    cfg = export(exe, "node_count", "hard", N, d)
    if reverify(d).returncode != 0:
        raise SystemExit("the uncorrupted node_count export does not hold")
    wv = cfg["layers"][0]["heads"][0]["wv"]["exact"]
    row = next(r for r, row in enumerate(wv) if any(x != "0" for x in row))
    col = next(c for c, x in enumerate(wv[row]) if x != "0")
    wv[row][col] = str(2 * int(wv[row][col].split("/")[0])) + ("/" + wv[row][col].split("/")[1] if "/" in wv[row][col] else "")
    (d / "exactformer.json").write_text(json.dumps(cfg))
    r = reverify(d)
    if r.returncode != 1 or "WRONG" not in r.stdout:
        raise SystemExit(f"a doubled W_V entry of node_count was not caught (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    print(f"node_count with W_V[{row}][{col}] doubled: {r.stdout.strip().splitlines()[0]}")
    # The exact tool refuses it: its TransformerLens view (model.safetensors) no longer matches the exact weights.
    r = run([exe, "verify", "--model", str(d), "--n", str(N)])
    if r.returncode != 2 or "disagree" not in r.stderr or len(r.stderr.splitlines()) != 1:
        raise SystemExit(f"verify --model on an export whose two views disagree should exit 2 in one line (got {r.returncode}: {r.stderr!r})")
    print("verify --model refuses it:", r.stderr.strip()[:120])
    # The deepest model with its first layer's attention outputs zeroed: connectivity_hook_shortcut.
    d = work / "corrupt.hook"
    cfg = export(exe, "connectivity_hook_shortcut", "hard", 3, d)
    for head in cfg["layers"][0]["heads"]:
        head["wo"]["exact"] = [["0"] * len(row) for row in head["wo"]["exact"]]
    (d / "exactformer.json").write_text(json.dumps(cfg))
    r = reverify(d)
    if r.returncode != 1:
        raise SystemExit(f"zeroed layer-1 W_O of connectivity_hook_shortcut was not caught (exit {r.returncode})")
    print("connectivity_hook_shortcut with layer 1's W_O zeroed:", r.stdout.strip().splitlines()[0])
    # A claimed shape that the weights do not have.
    cfg["claimed"]["width"] += 1
    (d / "exactformer.json").write_text(json.dumps(cfg))
    r = reverify(d)
    if r.returncode != 1 or "SHAPE width" not in r.stdout:
        raise SystemExit("a wrong claimed width was not caught")
    # Not an export at all.
    (d / "exactformer.json").write_text('{"format": "something-else"}')
    r = reverify(d)
    if r.returncode != 2 or r.stdout or len(r.stderr.splitlines()) != 1:
        raise SystemExit(f"a malformed export should be one line on stderr and exit 2 (got {r.returncode}: {r.stderr!r})")
    print("malformed export refused:", r.stderr.strip())


def malformed_exports(base):
    """(what, exactformer.json text) for each way an export can be malformed, edited from a good one."""
    def edit(f):
        c = json.loads(json.dumps(base))
        f(c)
        return json.dumps(c)
    head = lambda c: c["layers"][0]["heads"][0]  # noqa: E731
    return [
        ("a list where the config object is", "[1, 2, 3]"),
        ("deeply nested JSON", "[" * 100000 + "]" * 100000),
        ("a list where a head is", edit(lambda c: c["layers"][0]["heads"].__setitem__(0, []))),
        ("a missing tensor", edit(lambda c: head(c).pop("wk"))),
        ("a matrix of the wrong shape", edit(lambda c: head(c)["wq"]["exact"].pop())),
        ("a vocabulary index out of range", edit(lambda c: c["vocabulary"][0].__setitem__("index", 10 ** 6))),
        ("a negative vocabulary index", edit(lambda c: c["vocabulary"][0].__setitem__("index", -1))),
        ("a non-integer n", edit(lambda c: c.__setitem__("n", 3.5))),
        ("n given as a string", edit(lambda c: c.__setitem__("n", "4"))),
        ("an unknown head mode", edit(lambda c: head(c).__setitem__("mode", "sparsemax"))),
        ("an unknown decoder", edit(lambda c: c["decoder"].__setitem__("kind", "argmax"))),
        ("a decoder column outside the width", edit(lambda c: c["decoder"]["slots"][0].__setitem__("column", 10 ** 6))),
        ("a beta that is not a rational", edit(lambda c: head(c).update(mode="softmax", beta="e"))),
        ("a weight 1e999999", edit(lambda c: head(c)["wq"]["exact"][0].__setitem__(0, "1e999999"))),
        ("a weight with a zero denominator", edit(lambda c: head(c)["wq"]["exact"][0].__setitem__(0, "1/0"))),
        ("a weight that is a number, not a string", edit(lambda c: head(c)["wq"]["exact"][0].__setitem__(0, 1))),
        ("a mask that is neither", edit(lambda c: head(c).__setitem__("mask", "sideways"))),
        ("a pause count that is negative", edit(lambda c: c["sequence"].__setitem__("pause_tokens", -2))),
        ("not JSON", "{\"format\": "),
        ("bytes that are not UTF-8", "\udcff"),
    ]


def one_line_refusal(r, what, who, saying=""):
    if r.returncode != 2 or r.stdout.strip() or len(r.stderr.strip().splitlines()) != 1 or "Traceback" in r.stderr or saying not in r.stderr:
        raise SystemExit(f"{who} on {what}: exit {r.returncode} (want 2 and one line{', saying ' + repr(saying) if saying else ''}):\n"
                         f"{r.stdout}{r.stderr}")


def cmd_malformed(exe, work):
    good = work / "malformed.good"
    base = export(exe, "node_degree", "hard", 3, good)
    replay = ["/usr/bin/python3", "-m", "exactformer_torch.replay"]
    env = {"PYTHONPATH": str(HERE.parent), "PATH": "/usr/bin:/bin"}
    if run([*replay, good, "--exactformer", exe], env=env).returncode != 0 or reverify(good).returncode != 0:
        raise SystemExit("the unedited export does not replay and reverify")
    d = work / "malformed"
    d.mkdir(exist_ok=True)
    for name in ("prompt.json", "config.json", "model.safetensors"):
        (d / name).unlink(missing_ok=True)
    cases = malformed_exports(base)
    for what, text in cases:
        (d / "exactformer.json").write_text(text, errors="surrogateescape")
        one_line_refusal(reverify(d), what, "reverify")
        # (the answers are never read: the export is refused first)
        one_line_refusal(run([*replay, d, "--answers", "/dev/null"], env=env), what, "replay", "not a valid exactformer export")
    print(f"{len(cases)} malformed exports: replay and reverify exit 2 with one line")
    # Bad arguments and a bad exact tool.
    missing = work / "no_such_program"
    args = [
        ("an unknown option", [*replay, good, "--no-such-option"]),
        ("a batch of 0", [*replay, good, "--batch", "0"]),
        ("a tie tolerance nan", [*replay, good, "--tie-rtol", "nan"]),
        ("--exactformer naming a missing program", [*replay, good, "--exactformer", missing]),
        ("--exactformer naming /bin/false", [*replay, good, "--exactformer", "/bin/false"]),
        ("--exactformer naming /bin/true", [*replay, good, "--exactformer", "/bin/true"]),
        ("reverify --n-max x", ["/usr/bin/python3", REVERIFY, good, "--n-max", "x"]),
        ("reverify with no directory", ["/usr/bin/python3", REVERIFY]),
    ]
    for what, cmd in args:
        r = run(cmd, env=env)
        one_line_refusal(r, what, cmd[2] if cmd[1] == "-m" else "reverify")
        print(f"  {what}: {r.stderr.strip()[:110]}")
    print(f"{len(args)} bad arguments: exit 2 with one line")


def double_exact(exe, name):
    """Whether the exact tool's own double evaluator answers every query right on every labelled graph n <= 3, hard attention."""
    out = run([exe, "bench", name, "--n", 3]).stdout
    header = next(line for line in out.splitlines() if line.startswith("| construction"))
    col = [c.strip() for c in header.split("|")].index("double wrong")
    row = next(line for line in out.splitlines() if line.startswith(f"| {name} | hard"))
    return int([c.strip() for c in row.split("|")][col]) == 0


def cmd_float64(exe, work):
    import torch
    from exactformer_torch import ExportedTransformer, labelled_graphs, load_export
    from exactformer_torch.graphs import queries
    from exactformer_torch.replay import exact_answers, replay
    from exactformer_torch.tl import load_model, tokenize
    spec = importlib.util.spec_from_file_location("reverify", REVERIFY)
    rv = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rv)
    compared = 0
    for name, modes in constructions(exe):
        if "hard" not in modes or not double_exact(exe, name):
            continue
        d = work / f"float64.{name}"
        export_small(exe, name, "hard", d)
        ex = load_export(d)
        model, exact = ExportedTransformer(ex, "float64"), rv.Model(ex.config)
        # The TransformerLens view (config.json + model.safetensors + prompt.json) in our module with TransformerLens'
        # names and forward: its logits are the decoder's slots.
        tl_model, prompt = load_model(d, torch.float64)
        slots = [s["column"] for s in ex.config["decoder"]["slots"]]
        graphs = list(labelled_graphs(min(ex.n, 3)))
        for g in graphs:
            for q in queries(ex.arity, g.n):
                with torch.no_grad():
                    got = model.readout(model.batch([(g, q)]))[0].tolist()
                    logits = tl_model(torch.tensor([tokenize(prompt, g.n, list(g.edges), q)]))[0, -1].tolist()
                want = exact.run(exact.tokens(g.n, list(g.edges), q))
                for c, x in enumerate(got):
                    if x != float(want.get(c, 0)):
                        raise SystemExit(f"{name}: graph n={g.n} edges={g.edges} query={q}: readout column {c} is {x!r} in "
                                         f"float64, exactly {want.get(c, 0)} = {float(want.get(c, 0))!r}")
                for i, c in enumerate(slots):
                    if logits[i] != float(want.get(c, 0)):
                        raise SystemExit(f"{name}: graph n={g.n} edges={g.edges} query={q}: the TransformerLens view's logit {i} is "
                                         f"{logits[i]!r} in float64, its decoder slot (column {c}) is exactly {want.get(c, 0)}")
                compared += 1
        rows = replay(ex, graphs, ["float64"], exact_answers(ex, graphs, exe)[0])
        if rows[0]["wrong"]:
            raise SystemExit(f"{name}: replay float64 answers {rows[0]['wrong']} pairs wrongly")
        print(f"{name}: float64 readouts and TransformerLens-view logits = exact readouts on {len(graphs)} graphs (n <= 3) x every query; "
              "replay 0 wrong")
    if compared == 0:
        raise SystemExit("no construction compared: nothing was tested")


def main(argv):
    exe, work, what = argv[0], Path(argv[1]), argv[2]
    work.mkdir(parents=True, exist_ok=True)
    if what == "reverify":
        cmd_reverify(exe, work, argv[3], argv[4])
    elif what == "corrupt":
        cmd_corrupt(exe, work)
    elif what == "float64":
        cmd_float64(exe, work)
    elif what == "malformed":
        cmd_malformed(exe, work)
    else:
        raise SystemExit(f"unknown test {what!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
