// One AXI4 read master of the MP kernel plus its prefetch FIFO (docs/mp.md, "Read ports").
//
// On start_i it reads nbeats_i beats starting at byte address base_i with INCR bursts of at most
// BurstLen beats that never cross a 4 KiB boundary, and pushes the beats into a FifoDepth-deep
// prefetch FIFO. An address request is only issued when the FIFO has room reserved for the whole
// burst (credit counter), so rready stays high and the memory is never back-pressured: the number of
// beats in flight is FifoDepth minus what the kernel has not consumed yet, which must cover the
// memory latency (FifoDepth >= latency + BurstLen + a few cycles for full rate).
//
// hold_i (the kernel's input is not ready yet) limits the beats requested and not yet consumed to
// HoldBeats: the prefetch before the kernel starts popping takes no more of a shared memory channel
// than it needs to hide the memory latency.
//
// The first non-OKAY response is reported on err_o (the RRESP code, sticky until the next start).
// flush_i stops issuing requests and discards the FIFO and every beat still arriving; idle_o goes
// high once no burst is outstanding, so an aborted matrix never leaves the AXI port mid-burst.
module ll_mp_rd_port #(
  parameter int unsigned AddrBits  = 32,
  parameter int unsigned DataBits  = 256,
  parameter int unsigned BurstLen  = 16,
  parameter int unsigned FifoDepth = 128,
  parameter int unsigned BeatCntBits = 32,
  parameter int unsigned HoldBeats = FifoDepth
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,
  // control
  input  logic                   start_i,
  input  logic [AddrBits-1:0]    base_i,
  input  logic [BeatCntBits-1:0] nbeats_i,
  input  logic                   flush_i,
  input  logic                   hold_i,
  output logic                   idle_o,
  output logic                   err_o,
  output logic [1:0]             err_resp_o,
  // AXI4 read address channel
  output logic [AddrBits-1:0]    araddr_o,
  output logic [7:0]             arlen_o,
  output logic [2:0]             arsize_o,
  output logic [1:0]             arburst_o,
  output logic                   arvalid_o,
  input  logic                   arready_i,
  // AXI4 read data channel
  input  logic [DataBits-1:0]    rdata_i,
  input  logic [1:0]             rresp_i,
  input  logic                   rlast_i,
  input  logic                   rvalid_i,
  output logic                   rready_o,
  // prefetched beats to the kernel
  output logic                   beat_valid_o,
  input  logic                   beat_pop_i,
  output logic [DataBits-1:0]    beat_data_o
);

  `include "ll_assert.svh"

  localparam int unsigned BeatBytes  = DataBits / 8;
  localparam int unsigned SizeLog2   = $clog2(BeatBytes);
  localparam int unsigned CreditBits = $clog2(FifoDepth + 1) + 1;
  localparam int unsigned To4kBits   = 13 - SizeLog2;  // 4096 / BeatBytes fits

  `LL_ASSERT_INIT(BurstLenRange, BurstLen >= 1 && BurstLen <= 256)
  `LL_ASSERT_INIT(FifoHoldsBurst, FifoDepth >= BurstLen)
  `LL_ASSERT_INIT(HoldBeatsRange, HoldBeats >= BurstLen && HoldBeats <= FifoDepth)
  `LL_ASSERT_INIT(BeatPow2, (1 << SizeLog2) == BeatBytes && BeatBytes <= 4096)

  // ---------------------------------------------------------------- request side
  logic [AddrBits-1:0]    addr_q;        // next burst address
  logic [BeatCntBits-1:0] remaining_q;   // beats not yet requested
  logic [CreditBits-1:0]  credit_q;      // FIFO slots not yet reserved
  logic [BeatCntBits-1:0] outstanding_q; // beats requested, not yet received
  logic                   arvalid_q;
  logic [AddrBits-1:0]    araddr_q;
  logic [7:0]             arlen_q;
  logic                   err_q;
  logic [1:0]             err_resp_q;
  logic                   flushing_q;

  logic [To4kBits-1:0]    to_4k;
  logic [BeatCntBits-1:0] blen;
  logic                   issue;
  logic                   ar_hs, r_hs, push;

  always_comb begin
    // beats left before the next 4 KiB boundary: 4096/BeatBytes - beat index inside the page
    to_4k = To4kBits'(4096 / BeatBytes) - To4kBits'(addr_q[11:SizeLog2]);
    blen  = BeatCntBits'(BurstLen);
    if (remaining_q < blen) blen = remaining_q;
    if (BeatCntBits'(to_4k) < blen) blen = BeatCntBits'(to_4k);
  end

  // reserved = FifoDepth - credit_q (requested, not yet popped); under hold_i at most HoldBeats
  assign issue = !arvalid_q && !flushing_q && (remaining_q != '0)
                 && ({1'b0, credit_q} >= (CreditBits + 1)'(blen))
                 && (!hold_i || (CreditBits + 1)'(FifoDepth) - {1'b0, credit_q} + (CreditBits + 1)'(blen)
                                <= (CreditBits + 1)'(HoldBeats));
  assign ar_hs = arvalid_q && arready_i;
  assign r_hs  = rvalid_i && rready_o;
  assign push  = r_hs && !flushing_q;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      addr_q        <= '0;
      remaining_q   <= '0;
      credit_q      <= CreditBits'(FifoDepth);
      outstanding_q <= '0;
      arvalid_q     <= 1'b0;
      araddr_q      <= '0;
      arlen_q       <= '0;
      err_q         <= 1'b0;
      err_resp_q    <= 2'b00;
      flushing_q    <= 1'b0;
    end else begin
      // outstanding beats: + burst at issue, - one per received beat
      outstanding_q <= outstanding_q + (issue ? blen : '0) - BeatCntBits'(r_hs);
      if (start_i) begin
        addr_q      <= base_i;
        remaining_q <= nbeats_i;
        credit_q    <= CreditBits'(FifoDepth);
        err_q       <= 1'b0;
        err_resp_q  <= 2'b00;
        flushing_q  <= 1'b0;
      end else begin
        if (flush_i) flushing_q <= 1'b1;
        credit_q <= credit_q - (issue ? CreditBits'(blen) : '0) + CreditBits'(beat_pop_i);
        if (issue) begin
          addr_q      <= addr_q + AddrBits'(blen << SizeLog2);
          remaining_q <= remaining_q - blen;
        end
        if (r_hs && rresp_i[1] && !err_q) begin
          err_q      <= 1'b1;
          err_resp_q <= rresp_i;
        end
      end
      if (issue) begin
        arvalid_q <= 1'b1;
        araddr_q  <= addr_q;
        arlen_q   <= 8'(blen - 1'b1);
      end else if (ar_hs) begin
        arvalid_q <= 1'b0;
      end
    end
  end

  assign araddr_o   = araddr_q;
  assign arlen_o    = arlen_q;
  assign arsize_o   = 3'(SizeLog2);
  assign arburst_o  = 2'b01;  // INCR
  assign arvalid_o  = arvalid_q;
  assign idle_o     = (outstanding_q == '0) && !arvalid_q && (flushing_q || remaining_q == '0);
  assign err_o      = err_q;
  assign err_resp_o = err_resp_q;

  // ---------------------------------------------------------------- prefetch FIFO
  logic fifo_in_ready;
  logic fifo_rst_n;
  logic [$clog2(FifoDepth + 1)-1:0] fifo_count;
  logic fifo_full, fifo_empty;

  // Credits guarantee room for every beat in flight; rready only drops if that were ever violated
  // (an assertion below catches it). While flushing every beat is accepted and dropped.
  assign rready_o   = fifo_in_ready || flushing_q;
  assign fifo_rst_n = rst_ni && !(flush_i || flushing_q || start_i);

  ll_fifo #(
    .Width(DataBits),
    .Depth(FifoDepth)
  ) u_fifo (
    .clk_i,
    .rst_ni     (fifo_rst_n),
    .in_valid_i (push),
    .in_ready_o (fifo_in_ready),
    .in_data_i  (rdata_i),
    .out_valid_o(beat_valid_o),
    .out_ready_i(beat_pop_i),
    .out_data_o (beat_data_o),
    .count_o    (fifo_count),
    .full_o     (fifo_full),
    .empty_o    (fifo_empty)
  );

  logic unused;
  assign unused = ^{rlast_i, fifo_count, fifo_full, fifo_empty};

  `LL_ASSERT(CreditCoversFifo, !(rvalid_i && !flushing_q && !fifo_in_ready))
  `LL_ASSERT(NoUnderflowOutstanding, !(r_hs && outstanding_q == '0 && !issue))
  `LL_ASSERT_STREAM(ArStable, arvalid_o, arready_i, {araddr_o, arlen_o})

endmodule
