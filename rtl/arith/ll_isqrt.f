rtl/arith/ll_isqrt.sv
