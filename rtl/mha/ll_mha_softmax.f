+incdir+rtl/common
+incdir+rtl/mha
rtl/pkg/ll_pkg.sv
rtl/mha/ll_mha_softmax.sv
