"""How a model is split over N nodes (tensor parallelism as in LoopLynx).

Linear layers are split along the output dimension into contiguous row ranges, one per node, in node
order; attention heads (and their KV cache) are split into contiguous head ranges. Uneven splits are
supported: sizes differ by at most one unit of `align` rows (or one head), and a node may own no head
when there are fewer heads than nodes. The compiler and the tensor-parallel reference use these
functions, so the hardware partition and the reference partition cannot drift apart.
"""

from __future__ import annotations

MAX_NODES = 8


class PartitionError(ValueError):
    pass


def check_nodes(nodes: int) -> None:
    if not isinstance(nodes, int) or not 1 <= nodes <= MAX_NODES:
        raise PartitionError(f"nodes must be an integer in 1..{MAX_NODES}, got {nodes!r}")


def split_range(n: int, nodes: int, align: int = 1) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges of n items over `nodes`, boundaries on multiples of `align`.

    The units of `align` items are dealt out as evenly as possible (the first nodes get the extra
    unit); the last range ends at n even when n is not a multiple of align.
    """
    check_nodes(nodes)
    if n < 0 or align < 1:
        raise PartitionError("negative size or alignment")
    units = -(-n // align)
    base, extra = divmod(units, nodes)
    ranges, start = [], 0
    for i in range(nodes):
        stop = min(n, start + (base + (1 if i < extra else 0)) * align)
        ranges.append((start, stop))
        start = stop
    return ranges


def split_heads(n_head: int, nodes: int) -> list[tuple[int, int]]:
    """Contiguous head ranges per node."""
    return split_range(n_head, nodes, 1)
