"""Reading an export: exactformer.json (exactformer-model/2: every weight as an exact "p/q" string, each matrix
rounded here to the nearest float64, as the exporter rounds its TransformerLens view), or an older export's
config.json and model.safetensors (exactformer-model/1; our own reader of the standard format: an 8-byte
little-endian header length, a JSON header, then raw little-endian tensors)."""

import json
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

FORMAT = "exactformer-model/2"
FORMAT_1 = "exactformer-model/1"
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


def matrix_refs(config):
    """Every matrix of the config: its {tensor, shape, exact} entries, embedding first."""
    yield config["embedding"]
    for layer in config["layers"]:
        for h in layer["heads"]:
            yield from (h["wq"], h["wk"], h["wv"], h["wo"])
        for a in layer["mlp"]:
            yield from (a["weight"], a["bias"])


def nearest_float64(rows_of_strings, shape):
    """The exact "p/q" strings as the nearest doubles (float(Fraction) rounds correctly, ties to even)."""
    return np.array([[float(Fraction(x)) for x in row] for row in rows_of_strings], dtype=np.float64).reshape(shape)


def load_export(directory):
    directory = Path(directory)
    if (directory / "exactformer.json").exists():
        config = json.loads((directory / "exactformer.json").read_text())
        if config.get("format") != FORMAT:
            raise ValueError(f"{directory}/exactformer.json: format {config.get('format')!r}, expected {FORMAT!r}")
        tensors = {ref["tensor"]: nearest_float64(ref["exact"], tuple(ref["shape"])) for ref in matrix_refs(config)}
        return Export(directory, config, tensors)
    config = json.loads((directory / "config.json").read_text())
    if config.get("format") != FORMAT_1:
        raise ValueError(f"{directory}: no exactformer.json, and config.json's format is {config.get('format')!r}, not {FORMAT_1!r}")
    tensors, metadata = read_safetensors(directory / "model.safetensors")
    if metadata.get("construction") != config["construction"]:
        raise ValueError(f"{directory}: model.safetensors and config.json name different constructions")
    return Export(directory, config, tensors)
