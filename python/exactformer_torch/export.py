"""Reading an export: exactformer.json (exactformer-model/2: every weight as an exact "p/q" string, each matrix
rounded here to the nearest float64, as the exporter rounds its TransformerLens view), or an older export's
config.json and model.safetensors (exactformer-model/1; our own reader of the standard format: an 8-byte
little-endian header length, a JSON header, then raw little-endian tensors)."""

import json
import re
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

FORMAT = "exactformer-model/2"
FORMAT_1 = "exactformer-model/1"
_DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4")}


MAX_JSON_DEPTH = 16
TOKEN_KINDS = ("vertex", "edge", "task", "pause")
HEAD_MODES = ("hard", "softmax2", "softmax")
DECODER_KINDS = ("threshold_half", "round_inverse_minus_one", "exact_ratio", "is_zero", "positive_rank", "distance_or_none", "bit_set")
_TYPE_NAMES = {int: "an integer", str: "a string", dict: "an object", list: "a list"}
_RATIONAL = re.compile(r"-?[0-9]{1,2000}(/[0-9]{1,2000})?")  # "p" or "p/q": no exponent, no float, no blank


def json_text(text, what):
    """Parsed JSON, refused (ValueError) when nested deeper than MAX_JSON_DEPTH before the recursive parser sees it."""
    depth, in_string, escaped = 0, False, False
    for c in text:
        if in_string:
            escaped, in_string = (False, in_string) if escaped else (c == "\\", c != '"')
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ValueError(f"{what}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
        elif c in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{what}: not JSON ({e.msg} at line {e.lineno})")


def rational(text, what):
    if not isinstance(text, str) or not _RATIONAL.fullmatch(text):
        raise ValueError(f"{what}: {str(text)[:40]!r} is not an exact rational p or p/q")
    if "/" in text and int(text.split("/")[1]) == 0:
        raise ValueError(f"{what}: {text[:40]!r} has a zero denominator")
    return Fraction(text)


def validate_config(cfg, what, fmt=FORMAT):
    """Every field of an exactformer-model/2 config that the replay reads, with its type, range and shape (ValueError
    naming the first that is not): the one place the PyTorch side checks an export, before anything is built."""
    def obj(x, where):
        if not isinstance(x, dict):
            raise ValueError(f"{what}: {where} is not a JSON object")
        return x

    def named(where, key):
        return key if where == "the config" else f"{where}.{key}"

    def field(o, key, typ, where):
        if key not in o:
            raise ValueError(f"{what}: {where} has no {key!r}")
        v = o[key]
        if not isinstance(v, typ) or (isinstance(v, bool) and typ is not bool):  # JSON true is not the integer 1
            raise ValueError(f"{what}: {named(where, key)} is not {_TYPE_NAMES[typ]}")
        return v

    def integer(o, key, lo, hi, where):
        v = field(o, key, int, where)
        if not lo <= v <= hi:
            raise ValueError(f"{what}: {named(where, key)} = {v} is outside {lo}..{hi}")
        return v

    def matrix(ref, rows, cols, where):
        ref = obj(ref, where)
        field(ref, "tensor", str, where)
        shape, exact = field(ref, "shape", list, where), field(ref, "exact", list, where)
        if len(shape) != 2 or not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k <= 1 << 20 for k in shape):
            raise ValueError(f"{what}: {where}.shape is not two sizes")
        if (rows is not None and shape[0] != rows) or (cols is not None and shape[1] != cols):
            raise ValueError(f"{what}: {where} is {shape[0]}x{shape[1]}, expected {rows if rows is not None else '*'}x{cols if cols is not None else '*'}")
        if len(exact) != shape[0] or any(not isinstance(r, list) or len(r) != shape[1] for r in exact):
            raise ValueError(f"{what}: {where}.exact does not have its shape {shape[0]}x{shape[1]}")
        for i, r in enumerate(exact):
            for x in r:
                rational(x, f"{where}[{i}]")
        return shape

    obj(cfg, "the config")
    if field(cfg, "format", str, "the config") != fmt:
        raise ValueError(f"{what}: format {cfg['format'][:40]!r}, expected {fmt!r}")
    field(cfg, "construction", str, "the config")
    field(cfg, "variant", str, "the config")
    integer(cfg, "n", 1, 4096, "the config")
    task = obj(field(cfg, "task", dict, "the config"), "task")
    field(task, "name", str, "task")
    integer(task, "arity", 0, 2, "task")
    integer(obj(field(cfg, "sequence", dict, "the config"), "sequence"), "pause_tokens", 0, 1 << 16, "sequence")
    if not all(isinstance(a, str) for a in field(cfg, "verify_args", list, "the config")):
        raise ValueError(f"{what}: verify_args is not a list of strings")
    vocab_size, d = matrix(field(cfg, "embedding", dict, "the config"), None, None, "embedding")
    seen = set()
    for i, t in enumerate(field(cfg, "vocabulary", list, "the config")):
        t = obj(t, f"vocabulary[{i}]")
        if field(t, "kind", str, f"vocabulary[{i}]") not in TOKEN_KINDS:
            raise ValueError(f"{what}: vocabulary[{i}].kind {t['kind'][:20]!r} is not one of {', '.join(TOKEN_KINDS)}")
        key = (t["kind"], integer(t, "a", -1, 1 << 16, f"vocabulary[{i}]"), integer(t, "b", -1, 1 << 16, f"vocabulary[{i}]"))
        integer(t, "index", 0, vocab_size - 1, f"vocabulary[{i}]")
        if key in seen:
            raise ValueError(f"{what}: vocabulary[{i}] repeats token {key}")
        seen.add(key)
    for li, layer in enumerate(field(cfg, "layers", list, "the config")):
        where = f"layers[{li}]"
        layer = obj(layer, where)
        for hi, h in enumerate(field(layer, "heads", list, where)):
            hw = f"{where}.heads[{hi}]"
            h = obj(h, hw)
            field(h, "name", str, hw)
            mode = field(h, "mode", str, hw)
            if mode not in HEAD_MODES:
                raise ValueError(f"{what}: {hw}.mode {mode[:20]!r} is not one of {', '.join(HEAD_MODES)}")
            if mode == "softmax2":
                integer(h, "b", 0, 1000, hw)
            if mode == "softmax" and not rational(field(h, "beta", str, hw), f"{hw}.beta") > 0:
                raise ValueError(f"{what}: {hw}.beta must be positive")
            if field(h, "mask", str, hw) not in ("causal", "none"):
                raise ValueError(f"{what}: {hw}.mask is not causal or none")
            dk = matrix(h.get("wq"), d, None, f"{hw}.wq")[1]
            matrix(h.get("wk"), d, dk, f"{hw}.wk")
            dv = matrix(h.get("wv"), d, None, f"{hw}.wv")[1]
            matrix(h.get("wo"), dv, d, f"{hw}.wo")
        width = d
        mlp = field(layer, "mlp", list, where)
        for ai, a in enumerate(mlp):
            aw = f"{where}.mlp[{ai}]"
            a = obj(a, aw)
            out = matrix(a.get("weight"), width, d if ai + 1 == len(mlp) else None, f"{aw}.weight")[1]
            matrix(a.get("bias"), 1, out, f"{aw}.bias")
            width = out
    dec = obj(field(cfg, "decoder", dict, "the config"), "decoder")
    if field(dec, "kind", str, "decoder") not in DECODER_KINDS:
        raise ValueError(f"{what}: decoder.kind {dec['kind'][:30]!r} is unknown")
    for i, slot in enumerate(field(dec, "slots", list, "decoder")):
        integer(obj(slot, f"decoder.slots[{i}]"), "column", 0, d - 1, f"decoder.slots[{i}]")
    return cfg


def read_safetensors(path):
    """{name: numpy array} and the header's __metadata__."""
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise ValueError(f"{path}: header length {length} runs past the end of the file")
    header = json_text(data[8:8 + length].decode("utf-8", errors="replace"), f"{path}: header")
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the header is not a JSON object")
    body = memoryview(data)[8 + length:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        if not isinstance(info, dict) or not isinstance(info.get("shape"), list) or not isinstance(info.get("data_offsets"), list) \
                or len(info["data_offsets"]) != 2 or not all(isinstance(k, int) and k >= 0 for k in info["shape"] + info["data_offsets"]):
            raise ValueError(f"{path}: tensor {name[:40]!r}: not a dtype, shape and two data offsets")
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ValueError(f"{path}: tensor {name}: dtype {info['dtype']} not supported")
        start, end = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape)) if shape else 1
        if start > end or end - start != count * dtype.itemsize or end > len(body):
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
    """The export in DIR, validated (ValueError naming the first bad field; OSError if a file cannot be read)."""
    directory = Path(directory)
    if (directory / "exactformer.json").exists():
        config = validate_config(json_text((directory / "exactformer.json").read_text(errors="replace"), "exactformer.json"),
                                 "exactformer.json")
        tensors = {ref["tensor"]: nearest_float64(ref["exact"], tuple(ref["shape"])) for ref in matrix_refs(config)}
        return Export(directory, config, tensors)
    config = validate_config(json_text((directory / "config.json").read_text(errors="replace"), "config.json"), "config.json", FORMAT_1)
    tensors, metadata = read_safetensors(directory / "model.safetensors")
    if metadata.get("construction") != config["construction"]:
        raise ValueError("model.safetensors and config.json name different constructions")
    for ref in matrix_refs(config):
        if ref["tensor"] not in tensors or list(tensors[ref["tensor"]].shape) != ref["shape"]:
            raise ValueError(f"model.safetensors lacks tensor {ref['tensor'][:40]!r} of shape {ref['shape']}")
    return Export(directory, config, tensors)
