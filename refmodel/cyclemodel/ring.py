"""Analytical model of the ring router (rtl/ring/ring_router.sv): slice layouts, link traffic and
cycle counts of an all-gather and of an argmax reduction. Pure Python; docs/ring.md derives every
number.

Cycle convention: a handshake "at cycle t" is the clock edge at the end of cycle t (valid && ready
sampled in cycle t). All latencies below are differences of such cycle indices.

Pipeline of one hop (router i to router i+1), unstalled:
  out register of router i valid in cycle x
  -> link register (ring_link_sim, LINK_CYCLES = 1) presents it in cycle x+1, accepted by router i+1
  -> in register (checks) in cycle x+2: written to the local write register and pushed into the
     forward FIFO
  -> forward FIFO head in cycle x+3 -> out register of router i+1 valid in cycle x+4.
So HOP_CYCLES = LINK_CYCLES + ROUTER_CYCLES = 1 + 3 = 4, and a received beat is in the write
register (write handshake) 3 cycles after the previous router's out register showed it.
"""

from __future__ import annotations

from dataclasses import dataclass

LINK_CYCLES = 1     # ring_link_sim: one register stage
ROUTER_CYCLES = 3   # in register, forward FIFO, out register
HOP_CYCLES = LINK_CYCLES + ROUTER_CYCLES

#: the router accepts at most this many nodes (node id width 3)
MAX_NODES = 8
#: vector length limit (beat index width 16)
MAX_VEC_BEATS = (1 << 16) - 1

CONTIG = "contig"
STRIDED = "strided"


@dataclass(frozen=True)
class Layout:
    """How a vector of ``vec_beats`` beats is distributed over ``n_nodes`` nodes.

    contig:  node i owns beats [starts[i], starts[i] + lens[i]) (any order, slices must tile the
             vector exactly once, empty slices allowed);
    strided: blocks of 2**block_log2 beats dealt round-robin, block b owned by node b mod n_nodes.
    """

    n_nodes: int
    vec_beats: int
    kind: str = CONTIG
    starts: tuple[int, ...] = ()
    lens: tuple[int, ...] = ()
    block_log2: int = 3

    def addresses(self, node: int) -> list[int]:
        """Beat addresses owned by ``node``, in the order its producer delivers them."""
        if self.kind == CONTIG:
            return list(range(self.starts[node], self.starts[node] + self.lens[node]))
        if self.kind == STRIDED:
            blk = 1 << self.block_log2
            n_blocks = -(-self.vec_beats // blk)
            return [a for b in range(node, n_blocks, self.n_nodes)
                    for a in range(b * blk, min((b + 1) * blk, self.vec_beats))]
        raise ValueError(f"unknown layout kind {self.kind!r}")

    def own_len(self, node: int) -> int:
        return len(self.addresses(node))

    def check(self) -> None:
        """Raise ValueError unless every beat of the vector is owned by exactly one node."""
        if self.n_nodes not in (1, 2, 4, 8):
            raise ValueError(f"n_nodes must be 1, 2, 4 or 8, got {self.n_nodes}")
        if not 1 <= self.vec_beats <= MAX_VEC_BEATS:
            raise ValueError(f"vec_beats must be in [1, {MAX_VEC_BEATS}], got {self.vec_beats}")
        if not 0 <= self.block_log2 <= 7:
            raise ValueError(f"block_log2 must be in [0, 7], got {self.block_log2}")
        owned = sorted(a for i in range(self.n_nodes) for a in self.addresses(i))
        if owned != list(range(self.vec_beats)):
            raise ValueError("slices do not tile the vector exactly once")


def contiguous(n_nodes: int, lens: list[int], order: list[int] | None = None) -> Layout:
    """Contiguous layout: node ``order[k]`` owns the k-th slice (lengths ``lens`` per node)."""
    order = list(range(n_nodes)) if order is None else list(order)
    starts = [0] * n_nodes
    pos = 0
    for node in order:
        starts[node] = pos
        pos += lens[node]
    return Layout(n_nodes, pos, CONTIG, tuple(starts), tuple(lens))


def strided(n_nodes: int, vec_beats: int, block_log2: int) -> Layout:
    return Layout(n_nodes, vec_beats, STRIDED, block_log2=block_log2)


def link_beats_gather(layout: Layout, link: int) -> int:
    """Beats carried by link ``link`` (router link -> router link+1) in one all-gather: every beat
    except those owned by the receiving router (a beat stops one router before its source)."""
    if layout.n_nodes == 1:
        return 0
    return layout.vec_beats - layout.own_len((link + 1) % layout.n_nodes)


def link_beats_argmax(n_nodes: int) -> int:
    """Pairs carried by every link in one argmax reduction."""
    return n_nodes - 1


def allgather_tail_cycles(n_nodes: int, hop: int = HOP_CYCLES) -> int:
    """Cycles from the last local-producer handshake (over all nodes) to the last local-buffer
    write handshake (over all nodes), with no stall on links or write ports.

    The last beat leaves its router's out register one cycle after its handshake, and is written at
    the node n-1 hops away 3 cycles after the (n-2)-th router's out register showed it:
    1 + hop * (n - 2) + 3 = hop * (n - 1) for n >= 2. On one node the beat is written the next
    cycle. Producers' rates do not matter: once accepted, a beat is never delayed when nothing
    stalls (forwarded beats have priority; own beats wait before their handshake, not after).
    """
    if n_nodes < 1:
        raise ValueError("n_nodes must be >= 1")
    return 1 if n_nodes == 1 else hop * (n_nodes - 1)


#: cycles from a node's last write handshake to its done pulse
DONE_AFTER_LAST_WRITE = 2


def allgather_done_tail_cycles(n_nodes: int, hop: int = HOP_CYCLES) -> int:
    """Cycles from the last local-producer handshake to the last done pulse (all nodes)."""
    return allgather_tail_cycles(n_nodes, hop) + DONE_AFTER_LAST_WRITE


def argmax_tail_cycles(n_nodes: int, hop: int = HOP_CYCLES) -> int:
    """Cycles from the last pair handshake (over all nodes) to the last done pulse (all nodes),
    unstalled. The pair reaches the in register of the node n-1 hops away at
    1 + hop * (n - 2) + 2, is merged in that cycle, and done follows 2 cycles later:
    hop * (n - 1) + 1. One node: merged at the handshake, done 2 cycles later."""
    if n_nodes < 1:
        raise ValueError("n_nodes must be >= 1")
    return 2 if n_nodes == 1 else hop * (n_nodes - 1) + 1


def allgather_cycles_overlapped(n_nodes: int, last_producer_cycle: int,
                                hop: int = HOP_CYCLES) -> int:
    """Cycle at which every node holds the whole vector, given when the producers finish: the
    all-gather adds only the tail, not a whole vector's transfer (LoopLynx block-wise overlap,
    here beat-wise)."""
    return last_producer_cycle + allgather_tail_cycles(n_nodes, hop)


def store_and_forward_tail_cycles(n_nodes: int, block_beats: int, hop: int = HOP_CYCLES) -> int:
    """For comparison (docs/ring.md): the tail if every router forwarded whole blocks
    (store-and-forward of block_beats beats per hop, as an HLS block stream does)."""
    if n_nodes == 1:
        return 1
    return (hop + block_beats - 1) * (n_nodes - 1)


def argmax_reference(pairs: list[tuple[int, int]]) -> tuple[int, int]:
    """(value, index) with the largest value, ties to the lowest index."""
    if not pairs:
        raise ValueError("argmax of no pairs")
    return max(pairs, key=lambda p: (p[0], -p[1]))
