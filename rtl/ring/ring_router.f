// Ring router: one node's all-gather / argmax router (docs/ring.md).
-f rtl/common/ll_fifo.f
-f rtl/argmax/ll_argmax_reduce.f
rtl/ring/ring_pkg.sv
rtl/ring/ring_router.sv
