#!/usr/bin/python3
"""verify under mpirun -np 1, 2, 4 gives the one-process verdict and counts (ctest, when mpirun is found).

    mpi_test.py MPIRUN EXACTFORMER WORKDIR

For a holding run and a failing one, the JSON (but for "seconds") and the report (but for the timing) of
`mpirun -np K exactformer verify ... --shard-graphs 40` equal the plain run's; the state file an MPI run
writes is one a plain run resumes from (every shard recorded: the same report)."""

import json
import subprocess
import sys
from pathlib import Path

mpirun, exe, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
work.mkdir(parents=True, exist_ok=True)
MPI = [mpirun, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
RUNS = [
    ["verify", "connectivity_hook_shortcut", "--n", "5", "--quiet"],                 # holds
    ["verify", "edge_existence", "--n", "6", "--code-bits-offset", "-1", "--quiet"],  # fails: the same witness
]


def run(cmd):
    return subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def normal(out):
    return [line.split(", max activation bits")[0] for line in out.splitlines()]


def result(path):
    j = json.loads(Path(path).read_text())
    j.pop("seconds")
    return j


for k, args in enumerate(RUNS):
    ref = run([exe, *args, "--json", work / f"ref{k}.json"])
    for np in (1, 2, 4):
        js, state = work / f"mpi{k}.{np}.json", work / f"state{k}.{np}"
        state.unlink(missing_ok=True)
        r = run([*MPI, "-np", np, exe, *args, "--shard-graphs", "40", "--state", state, "--json", js])
        if r.returncode != ref.returncode or normal(r.stdout) != normal(ref.stdout) or result(js) != result(work / f"ref{k}.json"):
            sys.exit(f"run {k} with -np {np}: exit {r.returncode} (plain {ref.returncode})\n{r.stdout}{r.stderr}---\n{ref.stdout}")
        again = run([exe, *args, "--shard-graphs", "40", "--state", state])
        if normal(again.stdout) != normal(ref.stdout):
            sys.exit(f"run {k}: a plain run resuming from the -np {np} state reports otherwise:\n{again.stdout}")
        print(f"run {k}: mpirun -np {np} = one process (exit {r.returncode}); its state resumes a plain run")
