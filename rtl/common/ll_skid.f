+incdir+rtl/common
rtl/common/ll_skid.sv
