-f rtl/common/ll_fifo.f
rtl/node/ll_axi_dma_rd.sv
