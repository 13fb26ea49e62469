+incdir+rtl/common
rtl/node/ll_unpack.sv
