rtl/arith/ll_div.sv
