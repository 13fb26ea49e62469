+incdir+rtl/common
-f rtl/common/ll_fifo.f
rtl/node/ll_axi_rd_mux.sv
