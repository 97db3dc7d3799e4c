"""Replay an export in PyTorch against the exact tool's answers.

    /usr/bin/python3 -m exactformer_torch.replay DIR [--graphs labelled[:K] | FILE | -] [--dtype float64,float32,bfloat16]
                                                      [--answers FILE] [--exactformer PATH] [--json FILE]

Every (graph, query) of the stream runs through the exported model in each dtype (batched by sequence
length, edges in lexicographic order) and its decoded answer is compared with the exact answer: the
`--answers` JSONL of `exactformer verify ... --answers FILE`, or, without it, the answers of the exact tool
run here on the same graphs (`exactformer verify CONSTRUCTION --n N <the export's variant> --graphs <them>
--edge-orders 1 --answers ...`, no shell). Prints, per dtype, wrong answers of the total, the first wrong
(graph, query) in stream order, and pairs per second side by side with the exact tool's.

Exit 0: the replay ran (wrong answers are its finding, not an error); 2: bad input; 3: internal error."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from .cli import ArgumentParser
from .export import load_export
from .graphs import from_graph6, labelled_count, labelled_graphs, queries, to_graph6
from .model import DTYPES, ExportedTransformer, run_all

LABELLED_DEFAULT_MAX = 6  # `--graphs labelled` on a model built for n > 6 stops here (2^(n(n-1)/2) graphs grow fast)


class InputError(Exception):
    pass


def read_graphs(spec, n):
    """(graphs, description)."""
    if spec == "labelled" or spec.startswith("labelled:"):
        k = min(n, LABELLED_DEFAULT_MAX) if spec == "labelled" else _int(spec[9:], "--graphs labelled:K")
        if not 1 <= k <= n:
            raise InputError(f"--graphs labelled:{k}: K must be in 1..{n} (the model is built for n <= {n})")
        note = f", capped at {k} of n = {n} (labelled:K for more)" if spec == "labelled" and k < n else ""
        return list(labelled_graphs(k)), f"every labelled graph with 1..{k} vertices ({labelled_count(k):,} graphs{note})"
    if spec == "-":
        lines, where = sys.stdin.read().splitlines(), "graph6 from stdin"
    else:
        p = Path(spec)
        if p.is_dir():
            raise InputError(f"--graphs {spec[:40]!r} is a directory, not a graph6 file")
        try:
            lines = p.read_text().splitlines()
        except OSError as e:
            raise InputError(f"cannot read graph file {spec[:40]!r}: {e.strerror}")
        where = f"graph6 from {spec}"
    graphs = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            g = from_graph6(line)
        except ValueError as e:
            raise InputError(f"line {i + 1}: {e}")
        if g.n > n:
            raise InputError(f"line {i + 1}: the graph has {g.n} vertices; the model was built for n <= {n}")
        graphs.append(g)
    if not graphs:
        raise InputError(f"no graphs read from {where}")
    return graphs, f"{where} ({len(graphs):,} graphs)"


def _int(text, what):
    if not text.isdigit():
        raise InputError(f"{what}: {text[:40]!r} is not a whole number")
    return int(text)


def read_answers(path):
    """{(graph6, query): answer or None}."""
    out = {}
    try:
        with open(path) as f:
            for i, line in enumerate(f):
                try:
                    r = json.loads(line)
                    out[(r["graph6"], tuple(r["query"]))] = r["answer"]
                except (ValueError, KeyError, TypeError):
                    raise InputError(f"{path}: line {i + 1} is not an answers line: {line[:40]!r}")
    except OSError as e:
        raise InputError(f"cannot read answers {path[:40]!r}: {e.strerror}")
    return out


def find_exactformer(given):
    """The exact tool: `given` (which must be an executable file: no silent fall-back to another), else the first of
    $EXACTFORMER, the repository's build and PATH."""
    if given:
        if not (Path(given).is_file() and os.access(given, os.X_OK)):
            raise InputError(f"--exactformer {given[:40]!r} is not an executable file")
        return given
    candidates = [os.environ.get("EXACTFORMER"), str(Path(__file__).resolve().parents[2] / "build" / "release" / "exactformer"),
                  shutil.which("exactformer")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    raise InputError("no exactformer binary: give --exactformer PATH, set EXACTFORMER, or build it (scripts/setup)")


def exact_answers(export, graphs, exe):
    """Runs the exact tool on the same graphs: ({(graph6, query): answer}, its seconds, its verdict line)."""
    with tempfile.TemporaryDirectory(prefix="exactformer-replay-") as tmp:
        g6 = Path(tmp) / "graphs.g6"
        g6.write_text("".join(to_graph6(g) + "\n" for g in graphs))
        answers, summary = Path(tmp) / "answers.jsonl", Path(tmp) / "verify.json"
        cmd = [exe, "verify", export.construction, "--n", str(export.n), *export.config["verify_args"], "--graphs", str(g6),
               "--edge-orders", "1", "--answers", str(answers), "--json", str(summary), "--quiet"]
        try:
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise InputError(f"cannot run the exact tool {exe[:40]!r}: {e.strerror}")
        # Exit 0 or 1 with its JSON summary and answers is the exact tool's answer; anything else is not.
        last = (r.stderr.strip().splitlines() or [""])[-1][:160]
        if r.returncode not in (0, 1) or not summary.is_file() or not answers.is_file():
            raise InputError(f"the exact tool {Path(exe).name[:40]!r} did not answer (exit {r.returncode}{': ' + last if last else ''})")
        try:
            s = json.loads(summary.read_text())
            seconds, holds = float(s["seconds"]), bool(s["holds"])
        except (ValueError, KeyError, TypeError):
            raise InputError(f"the exact tool {Path(exe).name[:40]!r} wrote no exactformer-verify summary")
        return read_answers(str(answers)), seconds, ("HOLDS" if holds else "FAILS (the exact model itself)")


def replay(export, graphs, dtypes, exact, batch_size=4096, tie_rtol=None):
    """Per dtype: {dtype, pairs, wrong, first_wrong, seconds}."""
    stream = [(g6, q) for g, g6 in ((g, to_graph6(g)) for g in graphs) for q in queries(export.arity, g.n)]
    missing = next((key for key in stream if key not in exact), None)
    if missing:
        raise InputError(f"the exact answers lack graph {missing[0][:40]!r} query {list(missing[1])}")
    rows = []
    for dtype in dtypes:
        model = ExportedTransformer(export, dtype, tie_rtol)
        start = time.perf_counter()
        got = run_all(model, graphs, batch_size)
        seconds = time.perf_counter() - start
        wrong = [key for key in stream if got[key] != exact[key]]
        first = None
        if wrong:
            g6, q = wrong[0]
            first = {"graph6": g6, "query": list(q), "exact": exact[(g6, q)], "got": got[(g6, q)]}
        rows.append({"dtype": dtype, "tie_rtol": model.tie_rtol, "pairs": len(stream), "wrong": len(wrong), "first_wrong": first,
                     "seconds": seconds})
    return rows


def describe_first(f):
    if not f:
        return "—"
    got = "undefined" if f["got"] is None else f["got"]
    return f"`{f['graph6']}` {tuple(f['query'])}: exact {f['exact']}, got {got}"


def main(argv=None):
    ap = ArgumentParser(prog="exactformer_torch.replay", description=__doc__.split("\n\n")[0])
    ap.add_argument("export", help="a directory written by `exactformer export`")
    ap.add_argument("--graphs", default="labelled", help="labelled (every labelled graph up to min(n, 6) vertices), labelled:K, a graph6 FILE, or -")
    ap.add_argument("--dtype", default="float64,float32,bfloat16", help="comma-separated: float64, float32, bfloat16")
    ap.add_argument("--answers", help="the exact answers: JSONL from `exactformer verify ... --answers FILE` (default: run the tool)")
    ap.add_argument("--exactformer", help="the exactformer binary (default: $EXACTFORMER, the repository's build, or PATH)")
    ap.add_argument("--batch", type=int, default=4096, help="sequences per forward pass")
    ap.add_argument("--tie-rtol", type=float, help="hard attention: keys within tie_rtol * max(1, |top|) of the top score tie "
                                                   "(default: 8 ulps of the dtype)")
    ap.add_argument("--json", help="also write the rows as JSON to FILE")
    a = ap.parse_args(argv)
    try:
        dtypes = [d for d in a.dtype.split(",")]
        for d in dtypes:
            if d not in DTYPES:
                raise InputError(f"--dtype {d[:40]!r}: one of {', '.join(DTYPES)}")
        if a.batch < 1:
            raise InputError("--batch must be at least 1")
        if a.tie_rtol is not None and not 0 <= a.tie_rtol < 1:  # nan fails both
            raise InputError("--tie-rtol must be in [0, 1)")
        if a.json and (Path(a.json).is_dir() or not os.access(Path(a.json).resolve().parent, os.W_OK)):
            raise InputError(f"--json {a.json[:40]!r}: not a writable file path")
        try:
            export = load_export(a.export)
        except (OSError, ValueError) as e:
            raise InputError(f"{a.export[:40]}: not a valid exactformer export: {str(e)[:160]}")
        graphs, coverage = read_graphs(a.graphs, export.n)
        exe = None if a.answers else find_exactformer(a.exactformer)
        torch.set_num_threads(os.cpu_count() or 1)
        if a.answers:
            exact, exact_seconds, verdict = read_answers(a.answers), None, "answers from " + a.answers
        else:
            exact, exact_seconds, verdict = exact_answers(export, graphs, exe)
        try:
            rows = replay(export, graphs, dtypes, exact, a.batch, a.tie_rtol)
        except KeyError as e:  # a token the graphs need and the vocabulary lacks
            raise InputError(f"{a.export[:40]}: the vocabulary lacks token {e}")
    except InputError as e:
        print(f"exactformer_torch.replay: error: {e}", file=sys.stderr)
        return 2
    cfg = export.config
    pairs = rows[0]["pairs"] if rows else 0
    print(f"{cfg['construction']} [{cfg['variant']}] built for n <= {cfg['n']}; coverage: {coverage}; {pairs:,} (graph, query) pairs")
    print(f"exact tool: {verdict}" + (f", {exact_seconds:.2f} s, {pairs / max(exact_seconds, 1e-9):,.0f} pairs/s" if exact_seconds else ""))
    print("| dtype | wrong / total | first wrong (graph6, query) | PyTorch s | pairs/s |")
    print("|---|---:|---|---:|---:|")
    for r in rows:
        print(f"| {r['dtype']} | {r['wrong']:,} / {r['pairs']:,} | {describe_first(r['first_wrong'])} | {r['seconds']:.2f} | "
              f"{r['pairs'] / max(r['seconds'], 1e-9):,.0f} |")
    if a.json:
        body = json.dumps({"format": "exactformer-replay/1", "construction": cfg["construction"], "variant": cfg["variant"], "n": cfg["n"],
                           "coverage": coverage, "exact_seconds": exact_seconds, "exact_verdict": verdict, "rows": rows}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=Path(a.json).resolve().parent, prefix=Path(a.json).name + ".")
        with os.fdopen(fd, "w") as f:
            f.write(body + "\n")
        os.replace(tmp, a.json)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the exit code of an internal error
        print(f"exactformer_torch.replay: internal error: {type(e).__name__}: {str(e)[:200]}", file=sys.stderr)
        sys.exit(3)
