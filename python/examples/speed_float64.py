"""PyTorch float64 forward passes of a saved model on every labelled graph with n <= 5 x every ordered pair, one at a
time and in batches of 2048: the rate docs/results/import.md puts beside the certified sweep.

    /usr/bin/python3 python/examples/speed_float64.py   (from the repository root)"""
import sys, time, itertools, torch
sys.path.insert(0, "python")
from exactformer_torch.tl import load_model, tokenize
torch.set_num_threads(2)
model, prompt = load_model("models/edge_existence_l2", dtype=torch.float64)
rows = []
for n in range(1, 6):
    pairs = list(itertools.combinations(range(n), 2))
    for mask in range(1 << len(pairs)):
        edges = [p for k, p in enumerate(pairs) if mask >> k & 1]
        for s in range(n):
            for t in range(n):
                rows.append(tokenize(prompt, n, edges, (s, t)))
start = time.time()
with torch.no_grad():
    for r in rows[:3000]:
        model(torch.tensor([r]))
one = (time.time() - start) / 3000
T = max(map(len, rows))
toks = torch.zeros(len(rows), T, dtype=torch.long)
for i, r in enumerate(rows): toks[i, :len(r)] = torch.tensor(r)
start = time.time()
with torch.no_grad():
    for i in range(0, len(rows), 2048): model(toks[i:i+2048])
batched = (time.time() - start) / len(rows)
print(f"{len(rows)} inputs; PyTorch float64 one at a time {1/one:.0f}/s, batched 2048 {1/batched:.0f}/s")
