"""A run's report and JSON without their timings: what two runs of one command must share (mpi_test.py,
resume_test.py)."""

import json
import re
from pathlib import Path


def normal(out):
    """The report's lines, without verify's "max activation bits …, S s" line end, verify --model's "; S s" end of
    its "decided at" line, or a check table's seconds column."""
    return [re.sub(r"(\| [0-9.]+ \||; [0-9.]+ s)$", lambda m: "|" if m.group(0).startswith("|") else "",
                   line.split(", max activation bits")[0]) for line in out.splitlines()]


def untimed(j):
    if isinstance(j, dict):
        return {k: untimed(v) for k, v in j.items() if k != "seconds"}
    if isinstance(j, list):
        return [untimed(v) for v in j]
    return j


def result(path):
    """The JSON file at `path`, without any "seconds"."""
    return untimed(json.loads(Path(path).read_text()))
