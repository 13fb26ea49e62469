// Assertion macros shared by every module.
//
// Assertions are part of the design: they are compiled whenever SYNTHESIS is not defined and are
// checked by Verilator with --assert (every simulation build of verif/lib/runner.py and lint).
// A failing assertion prints "%Error: <file>:<line>: Assertion failed in <scope>.<Name>" and stops
// the simulation, which the test runner reports as a failure.
//
//   `LL_ASSERT(Name, prop, clk, rst_n)        prop holds at every rising edge out of reset
//   `LL_ASSERT_IMPL(Name, pre, post, ...)    pre |-> post (same cycle)
//   `LL_ASSERT_NEXT(Name, pre, post, ...)    pre |=> post (next cycle)
//   `LL_ASSERT_STREAM(Name, valid, ready, data, clk, rst_n)
//                                           AXI-Stream rule: while valid && !ready, valid stays high
//                                           and data stays stable in the next cycle
//   `LL_ASSERT_INIT(Name, cond)              elaboration-time check (parameters)
//
// clk and rst_n default to clk_i and rst_ni (active-low synchronous reset; checks are disabled while
// reset is low).

`ifndef LL_ASSERT_SVH
`define LL_ASSERT_SVH

`ifndef SYNTHESIS

`define LL_ASSERT(__name, __prop, __clk = clk_i, __rst_n = rst_ni) \
  __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) (__prop)) \
    else $error("assertion %m failed");

`define LL_ASSERT_IMPL(__name, __pre, __post, __clk = clk_i, __rst_n = rst_ni) \
  __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) (__pre) |-> (__post)) \
    else $error("assertion %m failed");

`define LL_ASSERT_NEXT(__name, __pre, __post, __clk = clk_i, __rst_n = rst_ni) \
  __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) (__pre) |=> (__post)) \
    else $error("assertion %m failed");

`define LL_ASSERT_STREAM(__name, __valid, __ready, __data, __clk = clk_i, __rst_n = rst_ni) \
  __name: assert property (@(posedge __clk) disable iff (!(__rst_n)) \
      ((__valid) && !(__ready)) |=> ((__valid) && $stable(__data))) \
    else $error("assertion %m failed: valid dropped or data changed while valid && !ready");

`define LL_ASSERT_INIT(__name, __cond) \
  if (!(__cond)) begin : __name \
    $error("parameter check %m failed: %s", `"__cond`"); \
  end

`else  // SYNTHESIS

`define LL_ASSERT(__name, __prop, __clk = clk_i, __rst_n = rst_ni)
`define LL_ASSERT_IMPL(__name, __pre, __post, __clk = clk_i, __rst_n = rst_ni)
`define LL_ASSERT_NEXT(__name, __pre, __post, __clk = clk_i, __rst_n = rst_ni)
`define LL_ASSERT_STREAM(__name, __valid, __ready, __data, __clk = clk_i, __rst_n = rst_ni)
`define LL_ASSERT_INIT(__name, __cond)

`endif  // SYNTHESIS

`endif  // LL_ASSERT_SVH
