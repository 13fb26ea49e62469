// Command encodings of the LNR kernel (residual add + integer LayerNorm), see docs/lnr.md.
package ll_lnr_pkg;

  // cmd_mode_i
  typedef enum logic [2:0] {
    LnrAddLn  = 3'd0,  // res = sat24(res + delta); LayerNorm of the new res to int8
    LnrAdd    = 3'd1,  // res = sat24(res + delta) only
    LnrLoadLn = 3'd2,  // res = sat24(delta) (e.g. the embedding); LayerNorm to int8
    LnrLoad   = 3'd3,  // res = sat24(delta) only
    LnrLn     = 3'd4,  // LayerNorm of the stored res (ln_f)
    LnrRead   = 3'd5   // stream the stored res out (out_res_o), no parameters
  } lnr_mode_e;

  // err_o, held from done_o until the next command
  typedef enum logic [1:0] {
    LnrErrNone = 2'd0,
    LnrErrDim  = 2'd1,  // d == 0, d > MaxD or d not a multiple of Lanes
    LnrErrMode = 2'd2   // reserved mode encoding
  } lnr_err_e;

endpackage
