#!/usr/bin/python3
"""A resumable run killed at random points resumes to the report of an uninterrupted run (ctest).

    resume_test.py EXACTFORMER WORKDIR

For a holding verify, a failing one and a check (many sweeps, among them the witness search that stops at its
first failure): the reference without --state; then the same command with --state, sent SIGTERM or SIGINT
three times, each a random delay (at most a third of the reference's time, so that each lands) after that
attempt first wrote to the state file, and started again until it finishes. Its JSON (but for "seconds") and
its report (but for the timing) must equal the reference. Then: a torn last line of the state is cut off and
the run still resumes; a state file of another run, or of another binary, is refused (exit 2)."""

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from untimed import normal, result

exe, work = sys.argv[1], Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
rng = random.Random(20261203)
# A stream whose first failure comes late: 100,000 empty graphs (no edge, nothing to get wrong), then D_? (edge
# 0-1; with one code bit too few, vertex 4 shares vertex 0's code: (1, 4) is answered 1), then 10,000 more.
late = work / "late-failure.g6"
late.write_text("E???\n" * 100000 + "D_?\n" + "E???\n" * 10000)
# An imported model, copied (the test edits the copy): sampled queries and shuffled edge orders are seeded by a
# graph's place in the stream, so a shard must run with its offset.
model = work / "edge_existence_l2"
shutil.rmtree(model, ignore_errors=True)
shutil.copytree(Path(__file__).resolve().parent.parent / "models" / "edge_existence_l2", model)
RUNS = [
    ["verify", "edge_existence", "--n", "6", "--graphs", late, "--quiet"],                          # holds
    ["verify", "edge_existence", "--n", "6", "--code-bits-offset", "-1", "--graphs", late, "--quiet"],  # fails late
    ["check", "parallel.connectivity.logdepth_wide", "parallel.cycle_check.logdepth_wide", "--n-max", "5", "--quiet"],
    ["verify", "--model", model, "--n", "5", "--edge-orders", "shuffled:2", "--queries", "4", "--quiet"],  # fails
]


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


for k, args in enumerate(RUNS):
    ref_json = work / f"ref{k}.json"
    started = time.monotonic()
    ref = subprocess.run([str(c) for c in [exe, *args, "--json", ref_json]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    delay = (time.monotonic() - started) / 3
    state, js = work / f"state{k}", work / f"run{k}.json"
    state.unlink(missing_ok=True)
    cmd = [exe, *args, "--state", state, "--shard-graphs", "100" if args[0] == "check" or "--model" in args else "700", "--json", js]
    kills = 0
    for attempt in range(60):
        size = state.stat().st_size if state.exists() else 0
        p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if attempt < 3:
            # The signal handler is in place before the run writes to the state file (a signal before that kills
            # a run that has recorded nothing, with no message): wait for the file to grow, then a random delay.
            while (state.stat().st_size if state.exists() else 0) == size and p.poll() is None:
                time.sleep(0.005)
            time.sleep(rng.uniform(delay / 10, delay))
            p.send_signal(signal.SIGTERM if attempt % 2 == 0 else signal.SIGINT)
        out, err = p.communicate()
        if p.returncode in (-signal.SIGTERM, -signal.SIGINT):
            kills += 1
            if "the same command resumes" not in err:
                fail(f"an interrupted run did not say how to resume: {err!r}")
            continue
        break
    if kills == 0:
        fail(f"run {k}: finished before the first signal: nothing was resumed")
    if p.returncode != ref.returncode:
        fail(f"run {k}: exit {p.returncode} after {kills} kills, uninterrupted {ref.returncode}: {err}")
    if normal(out) != normal(ref.stdout):
        fail(f"run {k}: report differs after {kills} kills:\n{out}\n---\n{ref.stdout}")
    if result(js) != result(ref_json):
        fail(f"run {k}: JSON differs after {kills} kills")
    print(f"run {k}: {kills} kills, then the report and JSON of the uninterrupted run")
    if k == 0:
        text = state.read_text()
        state.write_text(text[: text.rfind("\n", 0, len(text) - 1) + 1] + '{"shard": 3, "sta')  # drop a record, tear the next
        r = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, text=True)
        if r.returncode != 0 or normal(r.stdout) != normal(ref.stdout) or not state.read_text().endswith("\n"):
            fail("a torn state line was not cut off and resumed")
        other = [str(c) for c in [exe, "verify", "node_count", "--n", "6", "--state", state, "--quiet"]]
        r = subprocess.run(other, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 2 or "belongs to another run" not in r.stderr:
            fail(f"another run's state was not refused: {r.returncode} {r.stderr!r}")
        rebuilt = work / "exactformer-rebuilt"  # another binary: the same program with one byte appended
        rebuilt.write_bytes(Path(exe).read_bytes() + b"\0")
        rebuilt.chmod(0o755)
        r = subprocess.run([str(c) for c in [rebuilt, *cmd[1:]]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 2 or "another exactformer binary" not in r.stderr:
            fail(f"a state written by another binary was not refused: {r.returncode} {r.stderr!r}")
        print("torn line cut off and resumed; another run's state and another binary's refused")
    if "--model" in args:
        text = state.read_text().splitlines(keepends=True)
        forged = json.loads(text[1])
        forged["stats"]["by_n"][5][2] += 1  # one more right input than the inputs counted
        state.write_text(text[0] + json.dumps(forged) + "\n" + "".join(text[2:]))
        r = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 2 or "malformed record" not in r.stderr or r.stdout:
            fail(f"a forged record of an imported model's state was not refused: {r.returncode} {r.stderr!r}")
        config = model / "config.json"
        config.write_text(config.read_text() + " ")  # the same model to a parser, another file: another run
        r = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 2 or "belongs to another run" not in r.stderr:
            fail(f"the state of an edited model was not refused: {r.returncode} {r.stderr!r}")
        print("a forged record refused; the state of an edited model refused")
