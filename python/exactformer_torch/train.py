"""Training a TransformerLens-convention model (exactformer_torch.tl) on a graph task in the edge-list prompt, on
every labelled graph with at most n vertices and every query, then saving it with save_model for
`exactformer verify --model DIR --n N`.

    /usr/bin/python3 -m exactformer_torch.train TASK OUT_DIR [--n 5] [--layers 2] [--width 32] [--steps 3000] [--seed 0]
        [--eval-every 250]

TASK: edge_existence (every ordered pair (s, t); yes / no) or node_degree (every vertex s; c0 .. c{n-1}). The edges
in lexicographic order, the answer read at the last position; answers compete among the task's answer tokens only.
CPU, 2 threads, seeded: the same command gives the same model on the same machine."""

import itertools
import time

import torch

from .cli import ArgumentParser
from .tl import GraphTransformer, edge_list_prompt, save_model, tokenize


def answer(task, n, edges, query):
    """The ground truth by definition (the dumbest correct way)."""
    if task == "edge_existence":
        s, t = query
        return "yes" if s != t and (min(s, t), max(s, t)) in set(edges) else "no"
    if task == "node_degree":
        (s,) = query
        return f"c{sum(s in e for e in edges)}"
    raise ValueError(f"task {task!r}: edge_existence or node_degree")


def queries(task, n):
    return [(s, t) for s in range(n) for t in range(n)] if task == "edge_existence" else [(s,) for s in range(n)]


def dataset(prompt, task, n_max):
    """Every labelled graph on 1..n_max vertices x every query: padded token batches, readout positions, labels."""
    index = {t: i for i, t in enumerate(prompt["vocabulary"])}
    rows = []
    for n in range(1, n_max + 1):
        pairs = list(itertools.combinations(range(n), 2))
        for mask in range(1 << len(pairs)):
            edges = [p for k, p in enumerate(pairs) if mask >> k & 1]
            for q in queries(task, n):
                rows.append((tokenize(prompt, n, edges, q), index[answer(task, n, edges, q)]))
    T = max(len(r[0]) for r in rows)
    tokens = torch.zeros(len(rows), T, dtype=torch.long)  # padded at the end with <bos>; causal: padding is never seen
    last = torch.tensor([len(r[0]) - 1 for r in rows])
    for i, (toks, _) in enumerate(rows):
        tokens[i, :len(toks)] = torch.tensor(toks)
    return tokens, last, torch.tensor([r[1] for r in rows])


def train(task, out, n=5, layers=2, width=32, steps=3000, seed=0, eval_every=250):
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    prompt = edge_list_prompt(n, task)
    cfg = dict(n_layers=layers, d_model=width, d_head=8, n_heads=width // 8, d_mlp=2 * width, d_vocab=len(prompt["vocabulary"]),
               n_ctx=64, act_fn="gelu", normalization_type="LN", attention_dir="causal")
    model = GraphTransformer(cfg, seed=seed)
    tokens, last, labels = dataset(prompt, task, n)
    answers = torch.tensor([prompt["vocabulary"].index(t) for t in prompt["answers"]])  # in the answer map's order
    target = (labels[:, None] == answers[None, :]).long().argmax(-1)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    start = time.time()
    for step in range(steps + 1):
        batch = torch.randint(0, len(tokens), (256,))
        logits = model(tokens[batch])[torch.arange(256), last[batch]][:, answers]
        loss = torch.nn.functional.cross_entropy(logits, target[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:  # accuracy on every input: costs no random numbers
            with torch.no_grad():
                acc = sum(((model(tokens[i:i + 4096])[torch.arange(len(tokens[i:i + 4096])), last[i:i + 4096]][:, answers]).argmax(-1)
                           == target[i:i + 4096]).sum().item() for i in range(0, len(tokens), 4096)) / len(tokens)
            print(f"step {step:5d}  loss {loss.item():.4f}  float32 accuracy on every input {acc:.4%}  {time.time() - start:.0f} s", flush=True)
    save_model(model, prompt, out)
    print(f"saved {out}: exactformer verify --model {out} --n {n}")


def main(argv=None):
    ap = ArgumentParser(prog="python3 -m exactformer_torch.train")
    ap.add_argument("task", choices=["edge_existence", "node_degree"])
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=32, help="d_model (a multiple of 8: heads of width 8, d_mlp = 2 d_model)")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-every", type=int, default=250, help="steps between accuracy reports on every input")
    a = ap.parse_args(argv)
    train(a.task, a.out, a.n, a.layers, a.width, a.steps, a.seed, a.eval_every)


if __name__ == "__main__":
    main()
