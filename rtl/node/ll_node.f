// One accelerator node (docs/node.md)
+incdir+rtl/common
-f rtl/pkg/ll_pkg.f
-f rtl/common/ll_fifo.f
-f rtl/ring/ring_router.f
-f rtl/sched/ll_scheduler.f
-f rtl/sched/ll_ctrl_regs.f
-f rtl/mp/ll_mp.f
-f rtl/mha/ll_mha.f
-f rtl/lnr/ll_lnr.f
-f rtl/embed/ll_embed.f
-f rtl/argmax/ll_argmax.f
-f rtl/node/ll_abuf.f
-f rtl/node/ll_pack.f
-f rtl/node/ll_unpack.f
-f rtl/node/ll_axi_rd_mux.f
-f rtl/node/ll_abuf_reader.f
rtl/node/ll_node.sv
