// Host control registers of a node: AXI4-Lite slave, 32-bit data, 12-bit address. Register map in
// docs/scheduler.md.
//
// - One transaction at a time per direction: AW and W are taken in any order (each held until both
//   have arrived), the register is written, then B; AR is answered by R in the next cycle.
//   Every ready/valid output comes from a register.
// - Writes honour WSTRB. A write to a read-only or unmapped address, and a read of an unmapped
//   address, answer SLVERR and change nothing (reads return 0).
// - CTRL is write-only: bit 0 START and bit 1 CLEAR produce one-cycle pulses (start_o, clear_o).
//   CLEAR also serves as the soft reset of the kernels (the node top routes clear_o to them).
module ll_ctrl_regs #(
  parameter int unsigned NumUnits      = 8,
  parameter int unsigned AddrBits      = 32,          // program address width
  parameter logic [31:0] WatchdogReset = 32'd1000000  // reset value of WATCHDOG
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  // AXI4-Lite slave
  input  logic [11:0]                   s_axil_awaddr_i,
  input  logic [2:0]                    s_axil_awprot_i,
  input  logic                          s_axil_awvalid_i,
  output logic                          s_axil_awready_o,
  input  logic [31:0]                   s_axil_wdata_i,
  input  logic [3:0]                    s_axil_wstrb_i,
  input  logic                          s_axil_wvalid_i,
  output logic                          s_axil_wready_o,
  output logic [1:0]                    s_axil_bresp_o,
  output logic                          s_axil_bvalid_o,
  input  logic                          s_axil_bready_i,
  input  logic [11:0]                   s_axil_araddr_i,
  input  logic [2:0]                    s_axil_arprot_i,
  input  logic                          s_axil_arvalid_i,
  output logic                          s_axil_arready_o,
  output logic [31:0]                   s_axil_rdata_o,
  output logic [1:0]                    s_axil_rresp_o,
  output logic                          s_axil_rvalid_o,
  input  logic                          s_axil_rready_i,
  // node straps
  input  logic [7:0]                    node_id_i,
  input  logic [7:0]                    num_nodes_i,
  // to the scheduler / node
  output logic                          start_o,
  output logic                          clear_o,
  output logic [31:0]                   token_in_o,
  output logic [31:0]                   position_o,
  output logic [AddrBits-1:0]           prog_base_o,
  output logic [31:0]                   watchdog_o,
  // from the scheduler / node
  input  logic                          busy_i,
  input  logic                          done_i,
  input  logic                          error_i,
  input  logic [3:0]                    err_src_i,
  input  logic [7:0]                    err_cause_i,
  input  logic [AddrBits-1:0]           err_pc_i,
  input  logic [31:0]                   token_out_i,
  input  logic [31:0]                   token_logit_i,
  input  logic [31:0]                   cycles_i,
  input  logic [31:0]                   instrs_i,
  input  logic [NumUnits-1:0][31:0]     unit_busy_i
);

  `include "ll_registers.svh"
  `include "ll_assert.svh"

  `LL_ASSERT_INIT(NumUnitsRange, NumUnits >= 1 && NumUnits <= 8)
  `LL_ASSERT_INIT(AddrBitsRange, AddrBits >= 12 && AddrBits <= 32)

  // register offsets (docs/scheduler.md)
  localparam logic [11:0] RegId        = 12'h000;
  localparam logic [11:0] RegConfig    = 12'h004;
  localparam logic [11:0] RegCtrl      = 12'h008;
  localparam logic [11:0] RegStatus    = 12'h00C;
  localparam logic [11:0] RegErrPc     = 12'h010;
  localparam logic [11:0] RegTokenIn   = 12'h014;
  localparam logic [11:0] RegPosition  = 12'h018;
  localparam logic [11:0] RegTokenOut  = 12'h01C;
  localparam logic [11:0] RegLogit     = 12'h020;
  localparam logic [11:0] RegProgBase  = 12'h024;
  localparam logic [11:0] RegWatchdog  = 12'h028;
  localparam logic [11:0] RegCycles    = 12'h02C;
  localparam logic [11:0] RegInstrs    = 12'h030;
  localparam logic [11:0] RegUnitBusy0 = 12'h040;  // + 4 * unit
  localparam logic [31:0] IdValue      = 32'h4C4C_0100;  // "LL", version 1.0
  localparam logic [1:0]  RespOkay     = 2'b00;
  localparam logic [1:0]  RespSlvErr   = 2'b10;

  // ------------------------------------------------------------------------------------------------
  // write channel
  logic        aw_valid_q, aw_valid_d, w_valid_q, w_valid_d, bvalid_q, bvalid_d;
  logic [11:0] aw_addr_q, aw_addr_d;
  logic [31:0] w_data_q, w_data_d;
  logic [3:0]  w_strb_q, w_strb_d;
  logic [1:0]  bresp_q, bresp_d;
  logic        do_write;

  logic [31:0] token_q, token_d, pos_q, pos_d, base_q, base_d, wdog_q, wdog_d;
  logic        start_q, start_d, clear_q, clear_d;

  function automatic logic [31:0] apply_strb(logic [31:0] old, logic [31:0] data, logic [3:0] strb);
    logic [31:0] r;
    for (int b = 0; b < 4; b++) r[8*b +: 8] = strb[b] ? data[8*b +: 8] : old[8*b +: 8];
    return r;
  endfunction

  assign s_axil_awready_o = !aw_valid_q && !bvalid_q;
  assign s_axil_wready_o  = !w_valid_q && !bvalid_q;
  assign do_write = aw_valid_q && w_valid_q;

  always_comb begin
    aw_valid_d = aw_valid_q;
    aw_addr_d  = aw_addr_q;
    w_valid_d  = w_valid_q;
    w_data_d   = w_data_q;
    w_strb_d   = w_strb_q;
    bvalid_d   = bvalid_q;
    bresp_d    = bresp_q;
    token_d    = token_q;
    pos_d      = pos_q;
    base_d     = base_q;
    wdog_d     = wdog_q;
    start_d    = 1'b0;
    clear_d    = 1'b0;
    if (s_axil_awvalid_i && s_axil_awready_o) begin
      aw_valid_d = 1'b1;
      aw_addr_d  = s_axil_awaddr_i;
    end
    if (s_axil_wvalid_i && s_axil_wready_o) begin
      w_valid_d = 1'b1;
      w_data_d  = s_axil_wdata_i;
      w_strb_d  = s_axil_wstrb_i;
    end
    if (do_write) begin
      aw_valid_d = 1'b0;
      w_valid_d  = 1'b0;
      bvalid_d   = 1'b1;
      bresp_d    = RespOkay;
      unique case ({aw_addr_q[11:2], 2'b00})
        RegCtrl: begin
          start_d = w_strb_q[0] && w_data_q[0];
          clear_d = w_strb_q[0] && w_data_q[1];
        end
        RegTokenIn:  token_d = apply_strb(token_q, w_data_q, w_strb_q);
        RegPosition: pos_d   = apply_strb(pos_q, w_data_q, w_strb_q);
        RegProgBase: base_d  = apply_strb(base_q, w_data_q, w_strb_q);
        RegWatchdog: wdog_d  = apply_strb(wdog_q, w_data_q, w_strb_q);
        default:     bresp_d = RespSlvErr;
      endcase
    end
    if (bvalid_q && s_axil_bready_i) bvalid_d = 1'b0;
  end

  `LL_FF(aw_valid_q, aw_valid_d, 1'b0)
  `LL_FF(aw_addr_q, aw_addr_d, '0)
  `LL_FF(w_valid_q, w_valid_d, 1'b0)
  `LL_FF(w_data_q, w_data_d, '0)
  `LL_FF(w_strb_q, w_strb_d, '0)
  `LL_FF(bvalid_q, bvalid_d, 1'b0)
  `LL_FF(bresp_q, bresp_d, RespOkay)
  `LL_FF(token_q, token_d, '0)
  `LL_FF(pos_q, pos_d, '0)
  `LL_FF(base_q, base_d, '0)
  `LL_FF(wdog_q, wdog_d, WatchdogReset)
  `LL_FF(start_q, start_d, 1'b0)
  `LL_FF(clear_q, clear_d, 1'b0)

  assign s_axil_bvalid_o = bvalid_q;
  assign s_axil_bresp_o  = bresp_q;
  assign start_o     = start_q;
  assign clear_o     = clear_q;
  assign token_in_o  = token_q;
  assign position_o  = pos_q;
  assign prog_base_o = base_q[AddrBits-1:0];
  assign watchdog_o  = wdog_q;

  // ------------------------------------------------------------------------------------------------
  // read channel
  logic        rvalid_q, rvalid_d;
  logic [31:0] rdata_q, rdata_d;
  logic [1:0]  rresp_q, rresp_d;
  logic [31:0] rd_val;
  logic        rd_ok;
  logic [7:0]  num_units_c;
  logic [31:0] err_pc_c;

  assign num_units_c = 8'(NumUnits);
  assign err_pc_c    = 32'(err_pc_i);

  always_comb begin
    rd_ok  = 1'b1;
    rd_val = '0;
    unique case ({s_axil_araddr_i[11:2], 2'b00})
      RegId:       rd_val = IdValue;
      RegConfig:   rd_val = {8'(AddrBits), num_units_c, num_nodes_i, node_id_i};
      RegStatus:   rd_val = {12'b0, err_src_i, err_cause_i, 5'b0, error_i, done_i, busy_i};
      RegErrPc:    rd_val = err_pc_c;
      RegTokenIn:  rd_val = token_q;
      RegPosition: rd_val = pos_q;
      RegTokenOut: rd_val = token_out_i;
      RegLogit:    rd_val = token_logit_i;
      RegProgBase: rd_val = base_q;
      RegWatchdog: rd_val = wdog_q;
      RegCycles:   rd_val = cycles_i;
      RegInstrs:   rd_val = instrs_i;
      default: begin
        rd_ok = 1'b0;
        for (int unsigned u = 0; u < NumUnits; u++) begin
          if ({s_axil_araddr_i[11:2], 2'b00} == RegUnitBusy0 + 12'(4 * u)) begin
            rd_ok  = 1'b1;
            rd_val = unit_busy_i[u];
          end
        end
      end
    endcase
  end

  assign s_axil_arready_o = !rvalid_q;

  always_comb begin
    rvalid_d = rvalid_q;
    rdata_d  = rdata_q;
    rresp_d  = rresp_q;
    if (s_axil_arvalid_i && s_axil_arready_o) begin
      rvalid_d = 1'b1;
      rdata_d  = rd_ok ? rd_val : '0;
      rresp_d  = rd_ok ? RespOkay : RespSlvErr;
    end else if (rvalid_q && s_axil_rready_i) begin
      rvalid_d = 1'b0;
    end
  end

  `LL_FF(rvalid_q, rvalid_d, 1'b0)
  `LL_FF(rdata_q, rdata_d, '0)
  `LL_FF(rresp_q, rresp_d, RespOkay)

  assign s_axil_rvalid_o = rvalid_q;
  assign s_axil_rdata_o  = rdata_q;
  assign s_axil_rresp_o  = rresp_q;

  // protection bits carry no meaning here; registers are word addressed
  logic unused_prot;
  assign unused_prot = ^{s_axil_awprot_i, s_axil_arprot_i, aw_addr_q[1:0], s_axil_araddr_i[1:0]};

  `LL_ASSERT_STREAM(BStable, s_axil_bvalid_o, s_axil_bready_i, s_axil_bresp_o)
  `LL_ASSERT_STREAM(RStable, s_axil_rvalid_o, s_axil_rready_i, {s_axil_rdata_o, s_axil_rresp_o})

endmodule
