// Node scheduler: fetches the program (docs/isa.md) from memory and launches kernel operations in
// order, with per-unit dependency tracking. Full description and the launch contract:
// docs/scheduler.md.
//
// Pipeline: AXI4 read master -> FetchDepth-entry prefetch FIFO -> instruction register (IR) ->
// decode (combinational on the IR) -> issue. One instruction per cycle when nothing waits.
//
// - Fetch: INCR bursts of up to FetchBurst beats (split at 4 KiB), issued only while the FIFO has
//   room for every beat in flight (credit check), so rready is always high. Fetching stops when END
//   or a faulting instruction reaches the IR; beats fetched beyond it are drained and dropped. A
//   beat with an error response only faults when it reaches the IR (prefetch past the end of a
//   program is harmless).
// - Dependencies: per unit u, inflight[u] = ops launched and not yet done (done_i pulses, in order).
//   wait_issue: the IR issues only when inflight[v] == 0 for every v in the mask. wait_data: at the
//   launch the scheduler snapshots pend[u][v] = inflight[v] for v in the mask and counts the done
//   pulses of v down; data_ready_o[u] = all pend[u][*] == 0. A new launch to u waits until the
//   previous launch's data_ready_o[u] is high and inflight[u] < 2^CntBits - 1.
// - launch_valid_o, launch_instr_o and data_ready_o depend on registers only (no path from any
//   *_ready_i / done_i / error_i input to them). launch_valid_o stays high with stable launch_instr_o
//   until launch_ready_i, unless an error stops the scheduler.
// - Errors (first wins, sticky until clear_i): fetch error response of the instruction in the IR,
//   illegal instruction, unit error_i (lowest unit first), done_i of a unit with nothing in flight,
//   watchdog (WatchdogLimit cycles in a row without a launch or a done; 0 = off), misaligned
//   program base. err_src_o/err_cause_o/err_pc_o say what and where (table in docs/isa.md).
module ll_scheduler #(
  parameter int unsigned NumUnits   = 8,   // 1..8 launch ports
  parameter int unsigned AddrBits   = 32,
  parameter int unsigned IdBits     = 4,
  parameter int unsigned FetchDepth = 8,   // prefetch FIFO entries (>= FetchBurst)
  parameter int unsigned FetchBurst = 4,   // beats per AR (1..16)
  parameter int unsigned CntBits    = 4,   // ops in flight per unit: up to 2^CntBits - 1
  parameter int unsigned UnitErrBits = 8,  // width of a unit's error code
  localparam int unsigned InstrBits = ll_isa_pkg::InstrBits
) (
  input  logic                                    clk_i,
  input  logic                                    rst_ni,
  // control (from ll_ctrl_regs)
  input  logic                                    start_i,        // pulse; ignored while busy or in error
  input  logic                                    clear_i,        // pulse: abort, clear error/done/counters
  input  logic [AddrBits-1:0]                     prog_base_i,    // 32-byte aligned
  input  logic [31:0]                             watchdog_i,     // cycles without progress, 0 = off
  output logic                                    busy_o,         // running or draining the fetch port
  output logic                                    done_o,         // END completed (until start/clear)
  output logic                                    error_o,        // sticky until clear_i
  output logic [3:0]                              err_src_o,
  output logic [7:0]                              err_cause_o,
  output logic [AddrBits-1:0]                     err_pc_o,       // address of the faulting instruction
  output logic [31:0]                             cycles_o,       // cycles from start to END / error
  output logic [31:0]                             instrs_o,       // instructions issued
  output logic [NumUnits-1:0][31:0]               unit_busy_o,    // cycles with >= 1 op in flight
  // program fetch: AXI4 read master
  output logic [IdBits-1:0]                       m_axi_arid_o,
  output logic [AddrBits-1:0]                     m_axi_araddr_o,
  output logic [7:0]                              m_axi_arlen_o,
  output logic [2:0]                              m_axi_arsize_o,
  output logic [1:0]                              m_axi_arburst_o,
  output logic                                    m_axi_arvalid_o,
  input  logic                                    m_axi_arready_i,
  input  logic [IdBits-1:0]                       m_axi_rid_i,
  input  logic [InstrBits-1:0]                    m_axi_rdata_i,
  input  logic [1:0]                              m_axi_rresp_i,
  input  logic                                    m_axi_rlast_i,
  input  logic                                    m_axi_rvalid_i,
  output logic                                    m_axi_rready_o,
  // unit launch ports
  output logic [NumUnits-1:0]                     launch_valid_o,
  input  logic [NumUnits-1:0]                     launch_ready_i,
  output logic [InstrBits-1:0]                    launch_instr_o,
  output logic [NumUnits-1:0]                     data_ready_o,
  input  logic [NumUnits-1:0]                     done_i,
  input  logic [NumUnits-1:0]                     error_i,
  input  logic [NumUnits-1:0][UnitErrBits-1:0]    error_code_i
);

  import ll_isa_pkg::*;

  `include "ll_registers.svh"
  `include "ll_assert.svh"

  `LL_ASSERT_INIT(NumUnitsRange, NumUnits >= 1 && NumUnits <= MaxUnits)
  `LL_ASSERT_INIT(FetchBurstRange, FetchBurst >= 1 && FetchBurst <= 16)
  `LL_ASSERT_INIT(FetchDepthRange, FetchDepth >= FetchBurst && FetchDepth >= 2)
  `LL_ASSERT_INIT(CntBitsRange, CntBits >= 2 && CntBits <= 8)
  `LL_ASSERT_INIT(UnitErrBitsRange, UnitErrBits >= 1 && UnitErrBits <= 8)

  localparam int unsigned BeatBytes = InstrBits / 8;          // 32
  localparam int unsigned OffBits   = $clog2(BeatBytes);      // 5
  localparam int unsigned FCntBits  = $clog2(FetchDepth + 1);
  localparam int unsigned PtrBits   = (FetchDepth > 1) ? $clog2(FetchDepth) : 1;
  localparam logic [CntBits-1:0] CntMax = '1;
  localparam logic [1:0] RespOkay   = 2'b00;
  localparam logic [1:0] RespDecErr = 2'b11;

  // ------------------------------------------------------------------------------------------------
  // run state
  logic run_q, run_d;          // fetching and issuing
  logic done_q, done_d;
  logic err_q, err_d;
  logic [3:0] err_src_q, err_src_d;
  logic [7:0] err_cause_q, err_cause_d;
  logic [AddrBits-1:0] err_pc_q, err_pc_d;
  logic raise_err;             // an error is detected this cycle (while running)
  logic [3:0] raise_src;
  logic [7:0] raise_cause;
  logic start_ok;              // start accepted this cycle
  logic finish;                // END retires this cycle

  // ------------------------------------------------------------------------------------------------
  // fetch engine
  logic [AddrBits-1:0] fa_q, fa_d;                 // next fetch address
  logic                arvalid_q, arvalid_d;
  logic [AddrBits-1:0] araddr_q, araddr_d;
  logic [7:0]          arlen_q, arlen_d;
  logic [FCntBits-1:0] inflight_beats_q, inflight_beats_d;  // requested, not yet received
  logic                fetch_en;
  logic [FCntBits-1:0] burst_beats;
  logic [7:0]          to_4k_beats;                // 1..128
  logic                ar_fire, r_fire;

  // FIFO of fetched beats: {resp, data}
  logic [FetchDepth-1:0][InstrBits+1:0] fifo_q;
  logic [PtrBits-1:0]  wr_ptr_q, wr_ptr_d, rd_ptr_q, rd_ptr_d;
  logic [FCntBits-1:0] fcount_q, fcount_d;
  logic                fifo_push, fifo_pop, fifo_flush;

  // instruction register
  logic                 ir_valid_q, ir_valid_d;
  logic [InstrBits-1:0] ir_q;
  logic [1:0]           ir_resp_q;
  logic [AddrBits-1:0]  ir_pc_q, ir_pc_d;        // address of the instruction in the IR
  logic [AddrBits-1:0]  next_pc_q, next_pc_d;    // address of the next instruction to load
  logic                 ir_load, ir_retire;

  // per-unit dependency state
  logic [NumUnits-1:0][CntBits-1:0]               inflight_q, inflight_d;
  logic [NumUnits-1:0][NumUnits-1:0][CntBits-1:0] pend_q, pend_d;
  logic [NumUnits-1:0]                            busy_unit;
  logic [NumUnits-1:0]                            launch_fire;
  logic [NumUnits-1:0]                            spurious;

  // counters
  logic [31:0] cycles_q, cycles_d, instrs_q, instrs_d, wd_q, wd_d;
  logic [NumUnits-1:0][31:0] ubusy_q, ubusy_d;
  logic progress;

  // ------------------------------------------------------------------------------------------------
  // decode (combinational on the IR)
  // views of the IR per opcode; the decoder reads only the fields it checks
  /* verilator lint_off UNUSEDSIGNAL */
  hdr_t    hdr;
  embed_t  d_embed;
  lnr_t    d_lnr;
  mp_t     d_mp;
  mha_t    d_mha;
  ring_t   d_ring;
  argmax_t d_argmax;
  /* verilator lint_on UNUSEDSIGNAL */
  logic    op_known, op_launch, op_nop, op_sync, op_end;
  logic [InstrBits-1:0] rsvd_mask;
  logic [3:0] fixed_unit;
  logic    fixed_unit_op;
  logic    bad_operand;
  logic    dec_err;
  logic [7:0] dec_cause;
  logic [NumUnits-1:0] wait_issue_m, wait_data_m;
  logic    wait_ok;
  logic [NumUnits-1:0] unit_sel;
  logic    unit_ok;
  logic    all_idle;
  logic    ir_fault;               // the IR holds an instruction that stops the scheduler

  assign hdr      = hdr_t'(ir_q[31:0]);
  assign d_embed  = embed_t'(ir_q);
  assign d_lnr    = lnr_t'(ir_q);
  assign d_mp     = mp_t'(ir_q);
  assign d_mha    = mha_t'(ir_q);
  assign d_ring   = ring_t'(ir_q);
  assign d_argmax = argmax_t'(ir_q);

  always_comb begin
    op_known      = 1'b1;
    op_launch     = 1'b0;
    op_nop        = 1'b0;
    op_sync       = 1'b0;
    op_end        = 1'b0;
    fixed_unit_op = 1'b1;
    fixed_unit    = 4'd0;
    rsvd_mask     = '1;
    bad_operand   = 1'b0;
    unique case (hdr.opcode)
      OpNop: begin
        op_nop = 1'b1;  rsvd_mask = RsvdNop;
      end
      OpSync: begin
        op_sync = 1'b1; rsvd_mask = RsvdSync;
      end
      OpEnd: begin
        op_end = 1'b1;  rsvd_mask = RsvdEnd;
      end
      OpEmbed: begin
        op_launch = 1'b1; rsvd_mask = RsvdEmbed; fixed_unit = 4'(UnitEmbed);
        bad_operand = (d_embed.d == '0);
      end
      OpLnr: begin
        op_launch = 1'b1; rsvd_mask = RsvdLnr; fixed_unit = 4'(UnitLnr);
        bad_operand = (d_lnr.d == '0) || (d_lnr.mode > 3'd4);
      end
      OpMp: begin
        op_launch = 1'b1; rsvd_mask = RsvdMp; fixed_unit = 4'(UnitMp);
        bad_operand = (d_mp.rows == '0) || (d_mp.din_beats == '0) || (d_mp.mode == 2'd3) ||
                      (d_mp.out_sel == 2'd3);
      end
      OpMha: begin
        op_launch = 1'b1; rsvd_mask = RsvdMha; fixed_unit = 4'(UnitMha);
        bad_operand = (d_mha.heads == '0) || (d_mha.out_sel > 2'd1);
      end
      OpRing: begin
        op_launch = 1'b1; rsvd_mask = RsvdRing; fixed_unit = 4'(UnitRing);
        bad_operand = (d_ring.op > 2'd1) ||
                      ((d_ring.op == 2'd0) && ((d_ring.vec_beats == '0) ||
                       ((d_ring.layout == 1'b0) &&
                        (17'(d_ring.start) + 17'(d_ring.len) > 17'(d_ring.vec_beats)))));
      end
      OpArgmax: begin
        op_launch = 1'b1; rsvd_mask = RsvdArgmax; fixed_unit = 4'(UnitArgmax);
        bad_operand = (d_argmax.count == '0);
      end
      OpExt: begin
        op_launch = 1'b1; rsvd_mask = RsvdExt; fixed_unit_op = 1'b0;
      end
      default: begin
        op_known = 1'b0;
      end
    endcase
  end

  // wait masks: bits at or above NumUnits must be zero (checked below)
  assign wait_issue_m = hdr.wait_issue[NumUnits-1:0];
  assign wait_data_m  = hdr.wait_data[NumUnits-1:0];

  logic bad_unit, bad_mask;
  if (NumUnits < MaxUnits) begin : g_mask_hi
    assign bad_mask = ((hdr.wait_issue | hdr.wait_data) >> NumUnits) != '0;
  end else begin : g_mask_full
    assign bad_mask = 1'b0;
  end
  assign bad_unit = op_launch && ((fixed_unit_op && hdr.unit != fixed_unit) ||
                                  (32'(hdr.unit) >= NumUnits));

  always_comb begin
    dec_err   = 1'b1;
    dec_cause = ErrIllegalOpcode;
    if (!op_known) begin
      dec_cause = ErrIllegalOpcode;
    end else if ((ir_q & rsvd_mask) != '0) begin
      dec_cause = ErrReservedBits;
    end else if (bad_unit) begin
      dec_cause = ErrBadUnit;
    end else if (bad_mask) begin
      dec_cause = ErrBadMask;
    end else if (bad_operand) begin
      dec_cause = ErrBadOperand;
    end else begin
      dec_err = 1'b0;
    end
  end

  for (genvar u = 0; u < NumUnits; u++) begin : g_unit_sel
    assign unit_sel[u]  = (32'(hdr.unit) == u);
    assign busy_unit[u] = (inflight_q[u] != '0);
    assign data_ready_o[u] = (pend_q[u] == '0);
  end

  assign wait_ok  = (busy_unit & wait_issue_m) == '0;
  assign all_idle = (busy_unit == '0);
  assign unit_ok  = (unit_sel & data_ready_o & ~inflight_full()) != '0;
  assign ir_fault = ir_valid_q && ((ir_resp_q != RespOkay) || dec_err);

  // units whose in-flight counter is saturated
  function automatic logic [NumUnits-1:0] inflight_full();
    logic [NumUnits-1:0] f;
    for (int unsigned v = 0; v < NumUnits; v++) f[v] = (inflight_q[v] == CntMax);
    return f;
  endfunction

  always_comb begin
    launch_valid_o = '0;
    if (run_q && ir_valid_q && !ir_fault && op_launch && wait_ok && unit_ok) begin
      launch_valid_o = unit_sel;
    end
  end
  assign launch_instr_o = ir_q;
  assign launch_fire    = launch_valid_o & launch_ready_i;

  always_comb begin
    ir_retire = 1'b0;
    finish    = 1'b0;
    if (run_q && ir_valid_q && !ir_fault) begin
      if (op_launch) ir_retire = (launch_fire != '0);
      else if (op_nop) ir_retire = 1'b1;
      else if (op_sync) ir_retire = wait_ok;
      else if (op_end) begin
        ir_retire = all_idle;
        finish    = all_idle;
      end
    end
  end

  // ------------------------------------------------------------------------------------------------
  // fetch
  assign to_4k_beats = 8'(13'h1000 >> OffBits) - 8'(fa_q[11:OffBits]);
  assign burst_beats = (32'(to_4k_beats) < FetchBurst) ? FCntBits'(to_4k_beats)
                                                       : FCntBits'(FetchBurst);
  // stop fetching once END or a faulting instruction sits in the IR
  assign fetch_en = run_q && !(ir_valid_q && (op_end || ir_fault));
  assign ar_fire  = arvalid_q && m_axi_arready_i;
  assign r_fire   = m_axi_rvalid_i;             // rready is always high
  assign fifo_push = r_fire && run_q && !finish && !raise_err;
  assign fifo_flush = !run_q;

  always_comb begin
    arvalid_d = arvalid_q;
    araddr_d  = araddr_q;
    arlen_d   = arlen_q;
    fa_d      = fa_q;
    inflight_beats_d = inflight_beats_q - FCntBits'(r_fire);
    if (ar_fire) begin
      arvalid_d = 1'b0;
      inflight_beats_d = inflight_beats_d + FCntBits'(arlen_q) + FCntBits'(1);
    end
    if (!arvalid_q && fetch_en &&
        (32'(fcount_q) + 32'(inflight_beats_q) + 32'(burst_beats) <= FetchDepth)) begin
      arvalid_d = 1'b1;
      araddr_d  = fa_q;
      arlen_d   = 8'(burst_beats - FCntBits'(1));
      fa_d      = fa_q + (AddrBits'(burst_beats) << OffBits);
    end
    if (start_ok) fa_d = prog_base_i;
  end

  assign m_axi_arid_o    = '0;
  assign m_axi_araddr_o  = araddr_q;
  assign m_axi_arlen_o   = arlen_q;
  assign m_axi_arsize_o  = 3'(OffBits);
  assign m_axi_arburst_o = 2'b01;
  assign m_axi_arvalid_o = arvalid_q;
  assign m_axi_rready_o  = 1'b1;

  // FIFO
  assign ir_load  = run_q && (fcount_q != '0) && (!ir_valid_q || ir_retire) && !finish;
  assign fifo_pop = ir_load;

  always_comb begin
    wr_ptr_d = wr_ptr_q;
    rd_ptr_d = rd_ptr_q;
    fcount_d = fcount_q;
    if (fifo_flush) begin
      wr_ptr_d = '0;
      rd_ptr_d = '0;
      fcount_d = '0;
    end else begin
      if (fifo_push) wr_ptr_d = (32'(wr_ptr_q) == FetchDepth - 1) ? '0 : wr_ptr_q + PtrBits'(1);
      if (fifo_pop)  rd_ptr_d = (32'(rd_ptr_q) == FetchDepth - 1) ? '0 : rd_ptr_q + PtrBits'(1);
      fcount_d = fcount_q + FCntBits'(fifo_push) - FCntBits'(fifo_pop);
    end
  end

  always_ff @(posedge clk_i) begin
    if (fifo_push) fifo_q[wr_ptr_q] <= {m_axi_rresp_i, m_axi_rdata_i};
  end

  // IR
  always_comb begin
    ir_valid_d = ir_valid_q;
    ir_pc_d    = ir_pc_q;
    if (!run_q) begin
      ir_valid_d = 1'b0;
    end else if (ir_load) begin
      ir_valid_d = 1'b1;
    end else if (ir_retire || finish) begin
      ir_valid_d = 1'b0;
    end
    next_pc_d  = next_pc_q;
    if (ir_load) begin
      ir_pc_d   = next_pc_q;
      next_pc_d = next_pc_q + AddrBits'(BeatBytes);
    end
    if (start_ok) next_pc_d = prog_base_i;
  end

  always_ff @(posedge clk_i) begin
    if (ir_load) begin
      ir_q      <= fifo_q[rd_ptr_q][InstrBits-1:0];
      ir_resp_q <= fifo_q[rd_ptr_q][InstrBits+1:InstrBits];
    end
  end

  // ------------------------------------------------------------------------------------------------
  // dependency counters
  for (genvar u = 0; u < NumUnits; u++) begin : g_dep
    assign spurious[u] = done_i[u] && (inflight_q[u] == '0);
    always_comb begin
      inflight_d[u] = inflight_q[u] + CntBits'(launch_fire[u]) - CntBits'(done_i[u] && !spurious[u]);
      for (int unsigned v = 0; v < NumUnits; v++) begin
        if (launch_fire[u]) begin
          pend_d[u][v] = wait_data_m[v] ? inflight_q[v] - CntBits'(done_i[v] && !spurious[v]) : '0;
        end else begin
          pend_d[u][v] = pend_q[u][v] - CntBits'(done_i[v] && (pend_q[u][v] != '0));
        end
      end
      ubusy_d[u] = ubusy_q[u] + 32'(busy_unit[u] && run_q);
      if (clear_i || start_ok) begin
        inflight_d[u] = '0;
        pend_d[u]     = '0;
        ubusy_d[u]    = '0;
      end
    end
  end

  // ------------------------------------------------------------------------------------------------
  // errors, watchdog, control
  assign progress = (launch_fire != '0) || (done_i != '0);

  always_comb begin
    raise_err   = 1'b0;
    raise_src   = ErrSrcDecode;
    raise_cause = '0;
    if (run_q) begin
      if (ir_valid_q && ir_resp_q != RespOkay) begin
        raise_err   = 1'b1;
        raise_src   = ErrSrcFetch;
        raise_cause = (ir_resp_q == RespDecErr) ? ErrFetchDecerr : ErrFetchSlverr;
      end else if (ir_valid_q && dec_err) begin
        raise_err   = 1'b1;
        raise_src   = ErrSrcDecode;
        raise_cause = dec_cause;
      end else if (error_i != '0) begin
        raise_err = 1'b1;
        for (int u = NumUnits - 1; u >= 0; u--) begin
          if (error_i[u]) begin
            raise_src   = 4'(u);
            raise_cause = 8'(error_code_i[u]);
          end
        end
      end else if (spurious != '0) begin
        raise_err = 1'b1;
        raise_src = ErrSrcProtocol;
        for (int u = NumUnits - 1; u >= 0; u--) begin
          if (spurious[u]) raise_cause = ErrSpuriousDone | 8'(u);
        end
      end else if (watchdog_i != '0 && !progress && wd_q + 32'd1 >= watchdog_i) begin
        raise_err   = 1'b1;
        raise_src   = ErrSrcWatchdog;
        raise_cause = ErrTimeout;
      end
    end
  end

  assign start_ok = start_i && !busy_o && !err_q && !clear_i;

  always_comb begin
    run_d       = run_q;
    done_d      = done_q;
    err_d       = err_q;
    err_src_d   = err_src_q;
    err_cause_d = err_cause_q;
    err_pc_d    = err_pc_q;
    cycles_d    = cycles_q + 32'(run_q);
    instrs_d    = instrs_q + 32'(ir_retire);
    wd_d        = (run_q && !progress) ? wd_q + 32'd1 : '0;
    if (finish) begin
      run_d  = 1'b0;
      done_d = 1'b1;
    end
    if (raise_err) begin  // an error in the cycle END retires wins: the token is not done
      run_d       = 1'b0;
      done_d      = 1'b0;
      err_d       = 1'b1;
      err_src_d   = raise_src;
      err_cause_d = raise_cause;
      err_pc_d    = ir_pc_q;
    end
    if (start_ok) begin
      done_d   = 1'b0;
      cycles_d = '0;
      instrs_d = '0;
      wd_d     = '0;
      if (prog_base_i[OffBits-1:0] != '0) begin
        err_d       = 1'b1;
        err_src_d   = ErrSrcFetch;
        err_cause_d = ErrFetchMisaligned;
        err_pc_d    = prog_base_i;
      end else begin
        run_d = 1'b1;
      end
    end
    if (clear_i) begin
      run_d       = 1'b0;
      done_d      = 1'b0;
      err_d       = 1'b0;
      err_src_d   = '0;
      err_cause_d = '0;
      err_pc_d    = '0;
      cycles_d    = '0;
      instrs_d    = '0;
      wd_d        = '0;
    end
  end

  // ------------------------------------------------------------------------------------------------
  // registers
  `LL_FF(run_q, run_d, 1'b0)
  `LL_FF(done_q, done_d, 1'b0)
  `LL_FF(err_q, err_d, 1'b0)
  `LL_FF(err_src_q, err_src_d, '0)
  `LL_FF(err_cause_q, err_cause_d, '0)
  `LL_FF(err_pc_q, err_pc_d, '0)
  `LL_FF(fa_q, fa_d, '0)
  `LL_FF(arvalid_q, arvalid_d, 1'b0)
  `LL_FF(araddr_q, araddr_d, '0)
  `LL_FF(arlen_q, arlen_d, '0)
  `LL_FF(inflight_beats_q, inflight_beats_d, '0)
  `LL_FF(wr_ptr_q, wr_ptr_d, '0)
  `LL_FF(rd_ptr_q, rd_ptr_d, '0)
  `LL_FF(fcount_q, fcount_d, '0)
  `LL_FF(ir_valid_q, ir_valid_d, 1'b0)
  `LL_FF(ir_pc_q, ir_pc_d, '0)
  `LL_FF(next_pc_q, next_pc_d, '0)
  `LL_FF(inflight_q, inflight_d, '0)
  `LL_FF(pend_q, pend_d, '0)
  `LL_FF(cycles_q, cycles_d, '0)
  `LL_FF(instrs_q, instrs_d, '0)
  `LL_FF(wd_q, wd_d, '0)
  `LL_FF(ubusy_q, ubusy_d, '0)

  assign busy_o      = run_q || arvalid_q || (inflight_beats_q != '0);
  assign done_o      = done_q;
  assign error_o     = err_q;
  assign err_src_o   = err_src_q;
  assign err_cause_o = err_cause_q;
  assign err_pc_o    = err_pc_q;
  assign cycles_o    = cycles_q;
  assign instrs_o    = instrs_q;
  assign unit_busy_o = ubusy_q;

  // unused AXI read fields: beats are counted, not tagged
  logic unused_r;
  assign unused_r = ^{m_axi_rid_i, m_axi_rlast_i};

  // ------------------------------------------------------------------------------------------------
  // assertions
  `LL_ASSERT(RBeatExpected, m_axi_rvalid_i |-> inflight_beats_q != '0)
  `LL_ASSERT(FifoNoOverflow, fifo_push |-> 32'(fcount_q) < FetchDepth)
  `LL_ASSERT(LaunchOneHot, $onehot0(launch_valid_o))
  `LL_ASSERT(DoneOrError, !(done_o && error_o))
  `LL_ASSERT(NoLaunchWhenStopped, !run_q |-> launch_valid_o == '0)
  `LL_ASSERT_STREAM(ArStable, m_axi_arvalid_o, m_axi_arready_i, {m_axi_araddr_o, m_axi_arlen_o})
  `LL_ASSERT(ArNo4kCross, m_axi_arvalid_o |->
             (13'(m_axi_araddr_o[11:0]) + ((13'(m_axi_arlen_o) + 13'd1) << OffBits)) <= 13'h1000)
  // a launch is only withdrawn by an error or a clear
  `LL_ASSERT(LaunchStable, ((launch_valid_o & ~launch_ready_i) != '0 && !raise_err && !clear_i) |=>
             (launch_valid_o == $past(launch_valid_o) && launch_instr_o == $past(launch_instr_o)))

endmodule
