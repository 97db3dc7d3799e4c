#!/usr/bin/python3
"""verify and check under mpirun -np 1, 2, 4 give the one-process verdicts and counts (ctest, when mpirun is found).

    mpi_test.py MPIRUN EXACTFORMER WORKDIR

For a holding verify, a failing one, a check (many sweeps, each shared by the ranks, the witness search
among them) and an imported model (verify --model), the JSON (but for "seconds") and the report (but for the timings) of `mpirun -np K exactformer
... --shard-graphs 40` equal the plain run's; the state file an MPI run writes is one a plain run resumes
from (every shard recorded: the same report)."""

import json as json_module
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

# Errors under mpirun (issue 30): whichever rank meets one, every rank ends with its exit code within the
# timeout (no hang), and the tool prints one line (rank 0's). mpirun's own banners are silenced by -q.
state = work / "run0.1"
run([exe, *RUNS[0], "--shard-graphs", "40", "--state", state])  # a genuine state file, to forge records in
lines = state.read_text().splitlines()
forged = json_module.loads(lines[1])
forged["stats"]["graphs"] = -5
BAD = {
    "a bad flag": (["verify", "node_count", "--n", "abc"], None),
    "a file that is no state file": (["verify", "node_count", "--n", "3", "--state"], "hello\n"),
    "a deeply nested state file": (["verify", "node_count", "--n", "3", "--state"], "[" * 100000 + "\n"),
    "another command's state file": (["check", "retrieval.node_count.depth1", "--n-max", "3", "--state"], lines[0] + "\n"),
    "a forged record (rank 0 finds it while handing out shards)":
        ([*RUNS[0], "--shard-graphs", "40", "--state"], lines[0] + "\n" + json_module.dumps(forged) + "\n"),
    "an output rank 0 cannot open": (["verify", "node_count", "--n", "3", "--json", "/proc/exactformer_x"], None),
    "a bad line of the graph stream, read by rank 0": (["verify", "node_count", "--n", "3", "--shard-graphs", "1", "--graphs"], None),
}
bad_graphs = work / "bad.g6"
bad_graphs.write_text("Bw\nBw\nxx\n")
for what, (args, content) in BAD.items():
    if args[-1] == "--state":
        path = work / "forged.state"
        path.write_text(content)
        args = [*args, path]
    elif args[-1] == "--graphs":
        args = [*args, bad_graphs]
    for np in (2, 4):
        try:
            r = subprocess.run([str(c) for c in [*MPI, "-q", "-np", np, exe, *args]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=60)
        except subprocess.TimeoutExpired:
            sys.exit(f"{what}, -np {np}: still running after 60 s (a rank waits for one that has ended)")
        ours = [l for l in r.stderr.splitlines() if l.startswith("exactformer:")]
        if r.returncode != 2 or len(ours) != 1 or r.stdout:
            sys.exit(f"{what}, -np {np}: exit {r.returncode}, {len(ours)} lines of ours (want exit 2, one line):\n{r.stdout}{r.stderr}")
        if args[-1] == work / "forged.state" and path.read_text() != content:
            sys.exit(f"{what}, -np {np}: the state file was changed")
    print(f"{what}: every rank exits 2, one line (-np 2, 4)")
