rtl/argmax/ll_argmax_pkg.sv
rtl/argmax/ll_argmax_reduce.sv
