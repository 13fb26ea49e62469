+incdir+rtl/common
rtl/node/ll_pack.sv
