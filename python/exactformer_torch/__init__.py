"""PyTorch side of exactformer: load an `exactformer export` (model.safetensors + config.json, format
exactformer-model/1, docs/model-format.md) into an nn.Module, tokenize graph6 graphs through the exported
vocabulary, run batched forward passes in float64, float32 or bfloat16, decode, and replay a graph stream
against the exact tool's answers (python3 -m exactformer_torch.replay).

Run with Debian's interpreter, /usr/bin/python3 (python3-torch, python3-numpy)."""

from .export import Export, load_export, read_safetensors
from .graphs import Graph, from_graph6, to_graph6, labelled_graphs
from .model import ExportedTransformer

__all__ = ["Export", "load_export", "read_safetensors", "Graph", "from_graph6", "to_graph6", "labelled_graphs",
           "ExportedTransformer"]
