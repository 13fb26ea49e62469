-f rtl/mha/ll_mha_softmax.f
-f rtl/arith/ll_requant.f
rtl/mha/ll_mha.sv
