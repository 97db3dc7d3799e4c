"""Tutorial (docs/import.md): train a two-layer transformer on edge existence in the edge-list prompt, save it with
save_model, then certify it with `exactformer verify --model DIR --n N`.

    /usr/bin/python3 python/examples/train_edge_existence.py OUT_DIR [--n 5] [--steps 3000] [--seed 0]

Training data: every labelled graph with at most n vertices, every ordered pair (s, t), the edges in lexicographic
order, the answer ("yes" / "no") read at the last position. CPU, seeded: the same command gives the same model."""

import argparse
import itertools
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from exactformer_torch.tl import GraphTransformer, edge_list_prompt, save_model, tokenize  # noqa: E402


def dataset(prompt, n_max):
    """Every labelled graph on 1..n_max vertices x every ordered pair: padded token batches, lengths, labels."""
    yes, no = prompt["vocabulary"].index("yes"), prompt["vocabulary"].index("no")
    rows = []
    for n in range(1, n_max + 1):
        pairs = list(itertools.combinations(range(n), 2))
        for mask in range(1 << len(pairs)):
            edges = [p for k, p in enumerate(pairs) if mask >> k & 1]
            present = set(edges)
            for s in range(n):
                for t in range(n):
                    label = yes if (min(s, t), max(s, t)) in present and s != t else no
                    rows.append((tokenize(prompt, n, edges, (s, t)), label))
    T = max(len(r[0]) for r in rows)
    tokens = torch.zeros(len(rows), T, dtype=torch.long)  # padded at the end with <bos>; causal: padding is never seen
    last = torch.tensor([len(r[0]) - 1 for r in rows])
    for i, (toks, _) in enumerate(rows):
        tokens[i, :len(toks)] = torch.tensor(toks)
    return tokens, last, torch.tensor([r[1] for r in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(2)
    prompt = edge_list_prompt(a.n, "edge_existence")
    cfg = dict(n_layers=2, d_model=32, d_head=8, n_heads=4, d_mlp=64, d_vocab=len(prompt["vocabulary"]), n_ctx=64,
               act_fn="gelu", normalization_type="LN", attention_dir="causal")
    model = GraphTransformer(cfg, seed=a.seed)
    tokens, last, labels = dataset(prompt, a.n)
    answers = torch.tensor([prompt["vocabulary"].index(t) for t in ("no", "yes")])
    target = (labels == answers[1]).long()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    start = time.time()
    for step in range(a.steps + 1):
        batch = torch.randint(0, len(tokens), (256,))
        logits = model(tokens[batch])[torch.arange(256), last[batch]][:, answers]
        loss = torch.nn.functional.cross_entropy(logits, target[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 250 == 0:
            with torch.no_grad():
                acc = sum(((model(tokens[i:i + 4096])[torch.arange(len(tokens[i:i + 4096])), last[i:i + 4096]][:, answers]).argmax(-1)
                           == target[i:i + 4096]).sum().item() for i in range(0, len(tokens), 4096)) / len(tokens)
            print(f"step {step:5d}  loss {loss.item():.4f}  float32 accuracy on every input {acc:.4%}  {time.time() - start:.0f} s", flush=True)
    save_model(model, prompt, a.out)
    print(f"saved {a.out}: exactformer verify --model {a.out} --n {a.n}")


if __name__ == "__main__":
    main()
