"""Reading an export: config.json and model.safetensors (our own reader of the standard format: an
8-byte little-endian header length, a JSON header, then raw little-endian tensors)."""

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = "exactformer-model/1"
_DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4")}


def read_safetensors(path):
    """{name: numpy array} and the header's __metadata__."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise ValueError(f"{path}: header length {length} runs past the end of the file")
    header = json.loads(data[8:8 + length].decode("utf-8"))
    body = memoryview(data)[8 + length:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name}: dtype {info['dtype']} not supported")
        start, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if end - start != count * dtype.itemsize or end > len(body):
            raise ValueError(f"{path}: tensor {name}: data_offsets {start}..{end} do not fit shape {shape}")
        tensors[name] = np.frombuffer(body[start:end], dtype=dtype).reshape(shape).copy()
    return tensors, metadata


@dataclass
class Export:
    directory: Path
    config: dict
    tensors: dict

    @property
    def construction(self):
        return self.config["construction"]

    @property
    def n(self):
        return self.config["n"]

    @property
    def arity(self):
        return self.config["task"]["arity"]

    def token_index(self):
        """{(kind, a, b): vocabulary index}."""
        return {(t["kind"], t["a"], t["b"]): t["index"] for t in self.config["vocabulary"]}


def load_export(directory):
    directory = Path(directory)
    config = json.loads((directory / "config.json").read_text())
    if config.get("format") != FORMAT:
        raise ValueError(f"{directory}/config.json: format {config.get('format')!r}, expected {FORMAT!r}")
    tensors, metadata = read_safetensors(directory / "model.safetensors")
    if metadata.get("construction") != config["construction"]:
        raise ValueError(f"{directory}: model.safetensors and config.json name different constructions")
    return Export(directory, config, tensors)
