"""Proof that the integer path uses no floating point.

Every line executed inside the integer modules during a token step is traced; after each line every
local variable of the frame is inspected: a Python float, a numpy floating scalar or an array of a
non-integer dtype fails the test. The source of those modules is also scanned for float literals and
true division.
"""

import ast
import inspect
import sys

import numpy as np
import pytest

from refmodel import int_model, intops, parallel, partition
from refmodel.checkpoint import random_weights
from refmodel.config import get_config
from refmodel.int_model import IntGPT2
from refmodel.parallel import ParallelIntGPT2
from refmodel.quantize import quantize

INTEGER_MODULES = [intops, int_model, parallel, partition]
FILES = {inspect.getsourcefile(m) for m in INTEGER_MODULES}


def _is_float(v) -> bool:
    if isinstance(v, (float, np.floating, complex)):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind not in "iub"
    if isinstance(v, (list, tuple)) and v and len(v) < 64:
        return any(_is_float(x) for x in v)
    return False


@pytest.mark.parametrize("nodes", [1, 2])
def test_token_step_creates_no_float(nodes):
    cfg = get_config("tiny-v512")
    qm = quantize(cfg, random_weights(cfg, 0))  # float happens here, before the integer path
    model = IntGPT2(qm) if nodes == 1 else ParallelIntGPT2(qm, nodes)
    seen = []

    def tracer(frame, event, arg):
        if frame.f_code.co_filename not in FILES:
            return None
        if event in ("line", "return"):
            for name, val in frame.f_locals.items():
                if _is_float(val):
                    seen.append((frame.f_code.co_name, frame.f_lineno, name, type(val).__name__))
            if event == "return" and _is_float(arg):
                seen.append((frame.f_code.co_name, frame.f_lineno, "<return>", type(arg).__name__))
        return tracer

    dump = {}
    sys.settrace(tracer)
    try:
        model.step(7, 0, dump=dump)
        model.step(9, 1)
    finally:
        sys.settrace(None)
    assert not seen, f"floating point in the integer path: {seen[:5]}"
    assert dump and all(np.asarray(v).dtype.kind in "iu" for v in dump.values())


def test_tracer_catches_float():
    """The checker itself: a float local in a traced frame is detected."""
    assert _is_float(np.zeros(2)) and _is_float(0.5) and not _is_float(np.zeros(2, dtype=np.int64))


@pytest.mark.parametrize("module", INTEGER_MODULES, ids=lambda m: m.__name__)
def test_source_has_no_float_literals_or_true_division(module):
    tree = ast.parse(inspect.getsource(module))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            bad.append(f"float literal at line {node.lineno}")
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.Div):
            bad.append(f"true division at line {node.lineno}")
    assert not bad, bad
