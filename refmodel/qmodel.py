"""The integer model's parameter containers and the two operations they perform during a token step
(a linear layer, a LayerNorm). Integer-only, like intops: part of the code that
refmodel/tests/test_no_float.py proves free of floating point. `quantize.py` fills them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import intops as io
from .config import GPT2Config


@dataclass
class QLinear:
    """A linear layer as the MP kernel sees it: rows are output channels."""

    w: np.ndarray  # int8 [rows, d_in]
    bias: np.ndarray  # int64 [rows], |bias| <= 2**30
    m: np.ndarray  # int64 [rows], 0 <= m < 2**15
    s: np.ndarray  # int64 [rows], 0 <= s <= 63
    mode: int  # intops.MODE_*
    gelu_m: int = 0
    gelu_s: int = 0

    @property
    def rows(self) -> int:
        return self.w.shape[0]

    def rows_slice(self, idx) -> "QLinear":
        return QLinear(self.w[idx], self.bias[idx], self.m[idx], self.s[idx], self.mode, self.gelu_m, self.gelu_s)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        acc = io.matvec_acc(self.w, x, self.bias)
        return io.mp_epilogue(acc, self.mode, self.m, self.s, self.gelu_m, self.gelu_s)


@dataclass
class QLayerNorm:
    g: np.ndarray  # int64 [d], signed 16-bit values
    b: np.ndarray  # int64 [d], signed 48-bit values
    s: int

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return io.layernorm_int(x, self.g, self.b, self.s)


@dataclass
class QLayer:
    ln1: QLayerNorm
    qkv: QLinear  # rows: q (d), k (d), v (d); heads contiguous inside each
    sm_m: int
    sm_s: int
    ctx_m: int
    ctx_s: int
    proj: QLinear  # WIDE, into the residual scale
    ln2: QLayerNorm
    fc1: QLinear  # GELU
    fc2: QLinear  # WIDE


@dataclass
class QModel:
    config: GPT2Config
    layers: list[QLayer]
    wte: np.ndarray  # int8 [V, d]: embedding rows and (tied) LM-head rows
    wte_m: np.ndarray  # embedding requantisation per row, into the residual scale
    wte_s: np.ndarray
    wpe: np.ndarray  # int8 [P, d]
    wpe_m: np.ndarray
    wpe_s: np.ndarray
    ln_f: QLayerNorm
    head: QLinear  # w is wte, WIDE: logits on one common scale
    scales: dict = field(default_factory=dict)  # the quantiser's float scales, for reports only
