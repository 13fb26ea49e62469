-f rtl/common/ll_fifo.f
rtl/node/ll_abuf_reader.sv
