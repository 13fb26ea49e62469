+incdir+rtl/common
rtl/node/ll_abuf.sv
