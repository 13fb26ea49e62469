// AXI4 write-channel interconnect: NumMasters masters -> one slave (docs/node_glue.md).
//
// - AW: round-robin arbitration per burst, zero-latency pass-through with a grant lock while
//   s_awvalid_o waits for s_awready_i, exactly as ll_axi_rd_mux's AR (same fairness bound, asserted).
// - Every AW handshake pushes the granted master's index into two in-order FIFOs of MaxOutstanding
//   entries (AW is held while either is full): the W FIFO (popped on the wlast handshake) and the
//   B FIFO (popped on the B handshake).
// - W: the slave's W channel is connected to the master at the head of the W FIFO (pass-through,
//   s_wvalid_o = m_wvalid_i[head], m_wready_o[head] = s_wready_i). W beats therefore follow the AW
//   grant order; a master's W beats wait until its AW has been granted (one cycle after the AW
//   handshake at the earliest), so the slave never sees W before AW. Back-to-back bursts of
//   different masters follow each other with no bubble when their AWs were granted earlier.
// - B: routed to the master at the head of the B FIFO (the slave responds in order, single ID).
// - A master that stalls its W beats (or bready) blocks the W (or B) channel for the masters
//   behind it, as in-order AXI does.
// - Assertions: slave AW/W stable while waiting, FIFOs never overflow, W/B only for a granted burst,
//   round-robin fairness, masters obey the AW/W stability rules.
module ll_axi_wr_mux #(
  parameter int unsigned NumMasters     = 2,
  parameter int unsigned AddrBits       = 32,
  parameter int unsigned DataBits       = 256,
  parameter int unsigned MaxOutstanding = 8,
  localparam int unsigned IdxBits  = (NumMasters > 1) ? $clog2(NumMasters) : 1,
  localparam int unsigned StrbBits = DataBits / 8
) (
  input  logic                                  clk_i,
  input  logic                                  rst_ni,
  // masters
  input  logic [NumMasters-1:0][AddrBits-1:0]   m_awaddr_i,
  input  logic [NumMasters-1:0][7:0]            m_awlen_i,
  input  logic [NumMasters-1:0][2:0]            m_awsize_i,
  input  logic [NumMasters-1:0][1:0]            m_awburst_i,
  input  logic [NumMasters-1:0]                 m_awvalid_i,
  output logic [NumMasters-1:0]                 m_awready_o,
  input  logic [NumMasters-1:0][DataBits-1:0]   m_wdata_i,
  input  logic [NumMasters-1:0][StrbBits-1:0]   m_wstrb_i,
  input  logic [NumMasters-1:0]                 m_wlast_i,
  input  logic [NumMasters-1:0]                 m_wvalid_i,
  output logic [NumMasters-1:0]                 m_wready_o,
  output logic [1:0]                            m_bresp_o,   // shared
  output logic [NumMasters-1:0]                 m_bvalid_o,
  input  logic [NumMasters-1:0]                 m_bready_i,
  // slave
  output logic [AddrBits-1:0]                   s_awaddr_o,
  output logic [7:0]                            s_awlen_o,
  output logic [2:0]                            s_awsize_o,
  output logic [1:0]                            s_awburst_o,
  output logic                                  s_awvalid_o,
  input  logic                                  s_awready_i,
  output logic [DataBits-1:0]                   s_wdata_o,
  output logic [StrbBits-1:0]                   s_wstrb_o,
  output logic                                  s_wlast_o,
  output logic                                  s_wvalid_o,
  input  logic                                  s_wready_i,
  input  logic [1:0]                            s_bresp_i,
  input  logic                                  s_bvalid_i,
  output logic                                  s_bready_o,
  // status
  output logic [$clog2(MaxOutstanding+1)-1:0]   w_pending_o,  // bursts granted, wlast not yet sent
  output logic [$clog2(MaxOutstanding+1)-1:0]   b_pending_o   // bursts granted, B not yet returned
);

  `include "ll_assert.svh"
  `include "ll_registers.svh"

  `LL_ASSERT_INIT(AtLeastOneMaster, NumMasters >= 1)
  `LL_ASSERT_INIT(OutstandingAtLeastTwo, MaxOutstanding >= 2)

  localparam logic [IdxBits-1:0] LastIdx = IdxBits'(NumMasters - 1);

  logic [IdxBits-1:0] rr_q, rr_d;
  logic               lock_q, lock_d;
  logic [IdxBits-1:0] lock_idx_q;
  logic [IdxBits-1:0] pick_idx;
  logic               pick_any;
  logic [IdxBits-1:0] gnt_idx;
  logic               aw_room, aw_hs, w_hs, b_hs;
  logic               wq_in_ready, wq_valid, wq_full, wq_empty;
  logic               bq_in_ready, bq_valid, bq_full, bq_empty;  // *_full/_empty: assertions only
  logic [IdxBits-1:0] w_head, b_head;

  // ------------------------------------------------------------------------------------------------
  // AW arbitration (as ll_axi_rd_mux)
  always_comb begin
    pick_idx = rr_q;
    pick_any = 1'b0;
    for (int unsigned k = 0; k < NumMasters; k++) begin
      logic [IdxBits:0]   sum;
      logic [IdxBits-1:0] cand;
      sum = {1'b0, rr_q} + (IdxBits + 1)'(k);
      if (32'(sum) >= NumMasters) begin
        sum = sum - (IdxBits + 1)'(NumMasters);
      end
      cand = sum[IdxBits-1:0];
      if (!pick_any && m_awvalid_i[cand]) begin
        pick_any = 1'b1;
        pick_idx = cand;
      end
    end
  end

  assign aw_room     = wq_in_ready & bq_in_ready;
  assign gnt_idx     = lock_q ? lock_idx_q : pick_idx;
  assign s_awvalid_o = (lock_q | pick_any) & aw_room;
  assign s_awaddr_o  = m_awaddr_i[gnt_idx];
  assign s_awlen_o   = m_awlen_i[gnt_idx];
  assign s_awsize_o  = m_awsize_i[gnt_idx];
  assign s_awburst_o = m_awburst_i[gnt_idx];
  assign aw_hs       = s_awvalid_o & s_awready_i;

  always_comb begin
    m_awready_o = '0;
    m_awready_o[gnt_idx] = s_awready_i & aw_room & (lock_q | pick_any);
  end

  assign lock_d = s_awvalid_o & ~s_awready_i;
  assign rr_d   = aw_hs ? ((gnt_idx == LastIdx) ? '0 : gnt_idx + 1'b1) : rr_q;

  `LL_FF(rr_q, rr_d, '0)
  `LL_FF(lock_q, lock_d, 1'b0)
  `LL_FF(lock_idx_q, gnt_idx, '0)

  // ------------------------------------------------------------------------------------------------
  // W routing
  ll_fifo #(
    .Width(IdxBits),
    .Depth(MaxOutstanding)
  ) u_w_order (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (aw_hs),
    .in_ready_o (wq_in_ready),
    .in_data_i  (gnt_idx),
    .out_valid_o(wq_valid),
    .out_ready_i(w_hs & s_wlast_o),
    .out_data_o (w_head),
    .count_o    (w_pending_o),
    .full_o     (wq_full),
    .empty_o    (wq_empty)
  );

  assign s_wdata_o  = m_wdata_i[w_head];
  assign s_wstrb_o  = m_wstrb_i[w_head];
  assign s_wlast_o  = m_wlast_i[w_head];
  assign s_wvalid_o = wq_valid & m_wvalid_i[w_head];
  assign w_hs       = s_wvalid_o & s_wready_i;

  always_comb begin
    m_wready_o = '0;
    m_wready_o[w_head] = wq_valid & s_wready_i;
  end

  // ------------------------------------------------------------------------------------------------
  // B routing
  ll_fifo #(
    .Width(IdxBits),
    .Depth(MaxOutstanding)
  ) u_b_order (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .in_valid_i (aw_hs),
    .in_ready_o (bq_in_ready),
    .in_data_i  (gnt_idx),
    .out_valid_o(bq_valid),
    .out_ready_i(b_hs),
    .out_data_o (b_head),
    .count_o    (b_pending_o),
    .full_o     (bq_full),
    .empty_o    (bq_empty)
  );

  assign m_bresp_o  = s_bresp_i;
  assign s_bready_o = bq_valid & m_bready_i[b_head];
  assign b_hs       = s_bvalid_i & s_bready_o;

  always_comb begin
    m_bvalid_o = '0;
    m_bvalid_o[b_head] = s_bvalid_i & bq_valid;
  end

  // ------------------------------------------------------------------------------------------------
  // assertions
  `LL_ASSERT_STREAM(SlaveAwStable, s_awvalid_o, s_awready_i,
                    {s_awaddr_o, s_awlen_o, s_awsize_o, s_awburst_o})
  `LL_ASSERT_STREAM(SlaveWStable, s_wvalid_o, s_wready_i, {s_wdata_o, s_wstrb_o, s_wlast_o})
  `LL_ASSERT(GrantOneHot, $onehot0(m_awready_o))
  `LL_ASSERT(NoWOverflow, !(aw_hs && wq_full))
  `LL_ASSERT(NoBOverflow, !(aw_hs && bq_full))
  `LL_ASSERT(BNeedsBurst, !s_bvalid_i || !bq_empty)
  `LL_ASSERT(WOnlyAfterAw, !s_wvalid_o || !wq_empty)

`ifndef SYNTHESIS
  for (genvar i = 0; i < NumMasters; i++) begin : g_master_chk
    `LL_ASSERT_STREAM(MasterAwStable, m_awvalid_i[i], m_awready_o[i],
                      {m_awaddr_i[i], m_awlen_i[i], m_awsize_i[i], m_awburst_i[i]})
    `LL_ASSERT_STREAM(MasterWStable, m_wvalid_i[i], m_wready_o[i],
                      {m_wdata_i[i], m_wstrb_i[i], m_wlast_i[i]})
    int unsigned others_q;
    always_ff @(posedge clk_i) begin
      if (!rst_ni || !m_awvalid_i[i] || m_awready_o[i]) begin
        others_q <= 0;
      end else if (aw_hs) begin
        others_q <= others_q + 1;
      end
    end
    `LL_ASSERT(RoundRobinFair, others_q <= NumMasters - 1)
  end
`endif

endmodule
