+incdir+rtl/common
rtl/common/ll_fifo.sv
