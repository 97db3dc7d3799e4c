"""Tutorial (docs/import.md): train a two-layer transformer on edge existence in the edge-list prompt, save it with
save_model, then certify it with `exactformer verify --model DIR --n N`.

    /usr/bin/python3 python/examples/train_edge_existence.py OUT_DIR [--n 5] [--steps 3000] [--seed 0]

Training data: every labelled graph with at most n vertices, every ordered pair (s, t), the edges in lexicographic
order, the answer ("yes" / "no") read at the last position. CPU, seeded: the same command gives the same model.
The training loop is exactformer_torch.train (also for node_degree, other depths and widths)."""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from exactformer_torch.train import train  # noqa: E402

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    train("edge_existence", a.out, n=a.n, steps=a.steps, seed=a.seed)
