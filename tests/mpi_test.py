#!/usr/bin/python3
"""verify and check under mpirun -np 1, 2, 4 give the one-process verdicts and counts (ctest, when mpirun is found).

    mpi_test.py MPIRUN EXACTFORMER WORKDIR

For a holding verify, a failing one, a check (many sweeps, each shared by the ranks, the witness search
among them) and an imported model (verify --model), the JSON (but for "seconds") and the report (but for the timings) of `mpirun -np K exactformer
... --shard-graphs 40` equal the plain run's; the state file an MPI run writes is one a plain run resumes
from (every shard recorded: the same report)."""

import subprocess
import sys
from pathlib import Path

from untimed import normal, result

mpirun, exe, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
work.mkdir(parents=True, exist_ok=True)
MPI = [mpirun, "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
RUNS = [
    ["verify", "connectivity_hook_shortcut", "--n", "5", "--quiet"],                 # holds
    ["verify", "edge_existence", "--n", "6", "--code-bits-offset", "-1", "--quiet"],  # fails: the same witness
    ["check", "parallel.connectivity.logdepth_wide", "parallel.cycle_check.logdepth_wide", "--n-max", "4", "--quiet"],
    ["verify", "--model", Path(__file__).resolve().parent.parent / "models" / "edge_existence_l2", "--n", "5",
     "--edge-orders", "shuffled:2", "--queries", "4", "--quiet"],  # an imported model: fails, the same witness
]


def run(cmd):
    return subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


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
