"""KV-cache memory layout of the MHA kernel (rtl/mha/ll_mha.sv, docs/mha.md).

Every node has `ports` memory ports (one HBM pseudo-channel each, its own address space). For one
layer the cache of the node's heads is placed at the same byte address `layer_base` on every port:

    row t of (head, kind) -> port  t % ports
                             byte  layer_base + ((head * 2 + kind) * rows + t // ports) * head_dim

with kind 0 = K, 1 = V and rows = max_ctx // ports rows per (head, kind) per port. Rows 0..pos of one
head are thus spread round-robin over all ports, and on each port they form one contiguous run, so the
kernel reads them with long INCR bursts on every port in parallel. A layer occupies
`layer_bytes` bytes on each port; `layer_base(l)` packs layers back to back from a cache base.

The compiler places the cache with this module; the RTL computes the same addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KIND_K, KIND_V = 0, 1
BEAT_BYTES = 32  # one 256-bit memory beat


@dataclass(frozen=True)
class KvLayout:
    """Layout parameters; they mirror the parameters of ll_mha."""

    head_dim: int  # bytes per row, a power of two >= BEAT_BYTES
    heads: int  # heads owned by this node
    max_ctx: int  # positions 0..max_ctx-1
    ports: int  # memory ports, a power of two dividing max_ctx

    def __post_init__(self) -> None:
        def pow2(x: int) -> bool:
            return x >= 1 and x & (x - 1) == 0

        if not pow2(self.head_dim) or self.head_dim < BEAT_BYTES:
            raise ValueError(f"head_dim must be a power of two >= {BEAT_BYTES}, got {self.head_dim}")
        if self.heads < 1:
            raise ValueError(f"heads must be >= 1, got {self.heads}")
        if not pow2(self.ports):
            raise ValueError(f"ports must be a power of two, got {self.ports}")
        if self.max_ctx < 1 or self.max_ctx % self.ports:
            raise ValueError(f"max_ctx ({self.max_ctx}) must be a positive multiple of ports ({self.ports})")

    @property
    def rows(self) -> int:
        """Rows per (head, kind) on each port."""
        return self.max_ctx // self.ports

    @property
    def beats_per_row(self) -> int:
        return self.head_dim // BEAT_BYTES

    @property
    def layer_bytes(self) -> int:
        """Bytes one layer's cache occupies on each port."""
        return self.heads * 2 * self.rows * self.head_dim

    def layer_base(self, layer: int, cache_base: int = 0) -> int:
        """Base address of `layer` when the layers are packed back to back from `cache_base`."""
        if layer < 0:
            raise ValueError("layer must be >= 0")
        return cache_base + layer * self.layer_bytes

    def addr(self, layer_base: int, head: int, kind: int, t: int) -> tuple[int, int]:
        """(port, byte address) of row t of (head, kind) of the layer at `layer_base`."""
        if not 0 <= head < self.heads:
            raise ValueError(f"head {head} outside 0..{self.heads - 1}")
        if kind not in (KIND_K, KIND_V):
            raise ValueError(f"kind must be KIND_K (0) or KIND_V (1), got {kind}")
        if not 0 <= t < self.max_ctx:
            raise ValueError(f"position {t} outside 0..{self.max_ctx - 1}")
        if layer_base < 0 or layer_base % self.head_dim:
            raise ValueError(f"layer_base 0x{layer_base:x} must be a non-negative multiple of {self.head_dim}")
        port = t % self.ports
        row = (head * 2 + kind) * self.rows + t // self.ports
        return port, layer_base + row * self.head_dim

    def port_rows(self, pos: int, port: int) -> int:
        """How many of the rows 0..pos live on `port` (what the kernel reads there per head and kind)."""
        if not 0 <= pos < self.max_ctx:
            raise ValueError(f"position {pos} outside 0..{self.max_ctx - 1}")
        return 0 if pos < port else (pos - port) // self.ports + 1

    def pack(self, k: np.ndarray, v: np.ndarray, layer_base: int = 0) -> list[bytearray]:
        """Per-port memory images (bytes 0 .. layer_base + layer_bytes) holding k, v.

        k, v: int8 [heads, T, head_dim] with T <= max_ctx; rows T.. are zero.
        """
        t_len = self._check_kv(k, v)
        images = [bytearray(layer_base + self.layer_bytes) for _ in range(self.ports)]
        for kind, arr in ((KIND_K, k), (KIND_V, v)):
            for h in range(self.heads):
                for t in range(t_len):
                    port, a = self.addr(layer_base, h, kind, t)
                    images[port][a:a + self.head_dim] = arr[h, t].astype(np.int8).tobytes()
        return images

    def unpack(self, images: list[bytes], t_len: int, layer_base: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Rows 0..t_len-1 of K and V (int8 [heads, t_len, head_dim]) from per-port images."""
        if len(images) != self.ports:
            raise ValueError(f"expected {self.ports} port images, got {len(images)}")
        out = np.zeros((2, self.heads, t_len, self.head_dim), dtype=np.int8)
        for kind in (KIND_K, KIND_V):
            for h in range(self.heads):
                for t in range(t_len):
                    port, a = self.addr(layer_base, h, kind, t)
                    out[kind, h, t] = np.frombuffer(bytes(images[port][a:a + self.head_dim]), dtype=np.int8)
        return out[KIND_K], out[KIND_V]

    def _check_kv(self, k: np.ndarray, v: np.ndarray) -> int:
        if k.dtype != np.int8 or v.dtype != np.int8:
            raise TypeError("k and v must be int8")
        if k.shape != v.shape or k.ndim != 3 or k.shape[0] != self.heads or k.shape[2] != self.head_dim:
            raise ValueError(f"k, v must be [heads={self.heads}, T, head_dim={self.head_dim}], "
                             f"got {k.shape} and {v.shape}")
        if k.shape[1] > self.max_ctx:
            raise ValueError(f"T={k.shape[1]} exceeds max_ctx={self.max_ctx}")
        return k.shape[1]
