-f rtl/argmax/ll_argmax_reduce.f
rtl/argmax/ll_argmax.sv
