// The argmax combination rule (refmodel/intops.py argmax_reduce) as a function, shared by the lane
// tree of ll_argmax and by ll_argmax_reduce (the module the ring reduction instantiates).
package ll_argmax_pkg;

  // 1 if candidate b beats candidate a: an invalid candidate never wins, the larger value wins,
  // a tie goes to the lower index. Widths up to 64-bit values and indices (zero/sign-extended).
  function automatic logic take_b(input logic a_valid, input logic signed [63:0] a_val,
                                  input logic [63:0] a_idx, input logic b_valid,
                                  input logic signed [63:0] b_val, input logic [63:0] b_idx);
    if (!a_valid)          return 1'b1;
    if (!b_valid)          return 1'b0;
    if (a_val != b_val)    return b_val > a_val;
    return b_idx < a_idx;
  endfunction

endpackage
