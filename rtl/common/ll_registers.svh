// Register macros: every flop reads the same way.
//
//   `LL_FF(q, d, rst_val)            q <= d each cycle; rst_val while rst_ni is low (synchronous)
//   `LL_FFL(q, d, load, rst_val)     q <= d when load
//   `LL_FFNR(q, d)                   no reset (datapath registers)
//   `LL_FFLNR(q, d, load)            no reset, with load enable
//
// Clock and reset default to clk_i and rst_ni and can be given as the last arguments.

`ifndef LL_REGISTERS_SVH
`define LL_REGISTERS_SVH

`define LL_FF(__q, __d, __rst_val, __clk = clk_i, __rst_n = rst_ni) \
  always_ff @(posedge (__clk)) begin \
    if (!(__rst_n)) __q <= (__rst_val); \
    else            __q <= (__d); \
  end

`define LL_FFL(__q, __d, __load, __rst_val, __clk = clk_i, __rst_n = rst_ni) \
  always_ff @(posedge (__clk)) begin \
    if (!(__rst_n))     __q <= (__rst_val); \
    else if (__load)    __q <= (__d); \
  end

`define LL_FFNR(__q, __d, __clk = clk_i) \
  always_ff @(posedge (__clk)) begin \
    __q <= (__d); \
  end

`define LL_FFLNR(__q, __d, __load, __clk = clk_i) \
  always_ff @(posedge (__clk)) begin \
    if (__load) __q <= (__d); \
  end

`endif  // LL_REGISTERS_SVH
