#!/usr/bin/python3
"""A resumable run killed at random points resumes to the report of an uninterrupted run (ctest).

    resume_test.py EXACTFORMER WORKDIR

For a holding run and a failing one: the reference without --state; then, several times, the same command
with --state, sent SIGTERM or SIGINT after a random delay and started again until it finishes. Its JSON
(but for "seconds") and its report (but for the timing) must equal the reference. Then: a torn last line
of the state is cut off and the run still resumes; a state file of another run is refused (exit 2)."""

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

exe, work = sys.argv[1], Path(sys.argv[2])
work.mkdir(parents=True, exist_ok=True)
rng = random.Random(20261203)
RUNS = [
    ["verify", "connectivity_hook_shortcut", "--n", "6", "--edge-orders", "1", "--quiet"],  # holds
    ["verify", "edge_existence", "--n", "6", "--code-bits-offset", "-1", "--quiet"],     # fails: a witness
]


def normal(out):
    return [line.split(", max activation bits")[0] for line in out.splitlines()]


def result(js):
    j = json.loads(Path(js).read_text())
    j.pop("seconds")
    return j


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


for k, args in enumerate(RUNS):
    ref_json = work / f"ref{k}.json"
    ref = subprocess.run([exe, *args, "--json", ref_json], stdout=subprocess.PIPE, text=True)
    for trial in range(1 if k else 2):
        state, js = work / f"state{k}.{trial}", work / f"run{k}.{trial}.json"
        state.unlink(missing_ok=True)
        cmd = [exe, *args, "--state", state, "--shard-graphs", "700", "--json", js]
        kills = 0
        for attempt in range(60):
            p = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if attempt < 3:
                time.sleep(rng.uniform(0.05, 0.6 if k else 1.5))
                p.send_signal(signal.SIGTERM if attempt % 2 == 0 else signal.SIGINT)
            out, err = p.communicate()
            if p.returncode in (-signal.SIGTERM, -signal.SIGINT):
                kills += 1
                if "the same command resumes" not in err:
                    fail(f"an interrupted run did not say how to resume: {err!r}")
                continue
            break
        if p.returncode != ref.returncode:
            fail(f"run {k} trial {trial}: exit {p.returncode} after {kills} kills, uninterrupted {ref.returncode}: {err}")
        if normal(out) != normal(ref.stdout):
            fail(f"run {k} trial {trial}: report differs after {kills} kills:\n{out}\n---\n{ref.stdout}")
        if result(js) != result(ref_json):
            fail(f"run {k} trial {trial}: JSON differs after {kills} kills")
        print(f"run {k} trial {trial}: {kills} kills, then the report and JSON of the uninterrupted run")
    if k == 0:
        kills_needed = 0
        text = state.read_text()
        state.write_text(text[: text.rfind("\n", 0, len(text) - 1) + 1] + '{"shard": 3, "sta')  # drop a record, tear the next
        r = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, text=True)
        if r.returncode != 0 or normal(r.stdout) != normal(ref.stdout) or not state.read_text().endswith("\n"):
            fail("a torn state line was not cut off and resumed")
        other = [str(c) for c in [exe, "verify", "node_count", "--n", "6", "--state", state, "--quiet"]]
        r = subprocess.run(other, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 2 or "belongs to another run" not in r.stderr:
            fail(f"another run's state was not refused: {r.returncode} {r.stderr!r}")
        print("torn line cut off and resumed; another run's state refused")
