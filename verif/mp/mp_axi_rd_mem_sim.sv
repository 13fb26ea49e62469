// Simulation-only AXI4 read-only memory for the MP testbench (one per read port).
//
// - Storage: DepthBeats beats of DataBits bits, loaded with $readmemh("mp_mem_<Idx>.hex") (path
//   relative to the simulation's working directory) on every rising edge of load_i. The testbench
//   writes the file from the packer's byte image, so no beat goes through Python at run time.
// - Timing: an address request accepted in cycle c presents its first data beat in cycle
//   c + cfg_latency_i + U(0..cfg_jitter_i) at the earliest (bursts are served in order, back to
//   back when their data is due). Each data beat is preceded by an idle cycle with probability
//   cfg_gap_pct_i %, arready is low with probability cfg_arstall_pct_i % per cycle.
// - Responses: OKAY; SLVERR for beat addresses >= cfg_err_beat_i; DECERR beyond DepthBeats.
// - Checks: INCR bursts of the port's full width only, and no 4 KiB crossing.
// - Observation (read hierarchically by the testbench, free-running, never reset, no effect on the
//   behaviour): obs_r_stall_q counts the R gap cycles inserted (a beat was due and the data register
//   free, the gap draw held it back), obs_ar_stall_q the cycles arvalid && !arready because of the
//   AR stall draw (queue not full), obs_ar_n_q the AR handshakes and obs_ar_lat_sum_q the sum of the
//   latencies scheduled for them (cfg_latency_i + the drawn jitter), the same names as in
//   rtl/sim/ll_axi_mem_sim.sv.
module mp_axi_rd_mem_sim #(
  parameter int unsigned Idx        = 0,
  parameter int unsigned AddrBits   = 32,
  parameter int unsigned DataBits   = 256,
  parameter int unsigned DepthBeats = 1 << 15,
  parameter int unsigned QDepth     = 16
) (
  input  logic                clk_i,
  input  logic                rst_ni,
  input  logic                load_i,
  input  logic [15:0]         cfg_latency_i,
  input  logic [15:0]         cfg_jitter_i,
  input  logic [7:0]          cfg_gap_pct_i,
  input  logic [7:0]          cfg_arstall_pct_i,
  input  logic [31:0]         cfg_err_beat_i,
  input  logic [AddrBits-1:0] araddr_i,
  input  logic [7:0]          arlen_i,
  input  logic [2:0]          arsize_i,
  input  logic [1:0]          arburst_i,
  input  logic                arvalid_i,
  output logic                arready_o,
  output logic [DataBits-1:0] rdata_o,
  output logic [1:0]          rresp_o,
  output logic                rlast_o,
  output logic                rvalid_o,
  input  logic                rready_i
);

  localparam int unsigned BeatBytes = DataBits / 8;
  localparam int unsigned SizeLog2  = $clog2(BeatBytes);

  logic [DataBits-1:0] mem [DepthBeats];

  logic load_q;
  always_ff @(posedge clk_i) begin
    load_q <= load_i;
    if (load_i && !load_q) $readmemh($sformatf("mp_mem_%0d.hex", Idx), mem);
  end

  // address queue: {first beat address, beats, due cycle}
  logic [63:0] cyc_q;
  logic [AddrBits-1:0] qa [QDepth];
  logic [8:0]          ql [QDepth];
  logic [63:0]         qt [QDepth];
  int unsigned         qn, qh;
  logic                arstall_q;

  assign arready_o = (qn < QDepth) && !arstall_q && rst_ni;

  logic [63:0] obs_r_stall_q, obs_ar_stall_q, obs_ar_n_q, obs_ar_lat_sum_q;

  // current burst
  logic [AddrBits-1:0] cur_addr;
  logic [8:0]          cur_left;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      cyc_q     <= '0;
      qn         = 0;
      qh         = 0;
      arstall_q <= 1'b0;
      rvalid_o  <= 1'b0;
      rlast_o   <= 1'b0;
      rresp_o   <= 2'b00;
      cur_left  <= '0;
    end else begin
      automatic logic [AddrBits-1:0] a;
      automatic logic [8:0] left;
      automatic logic ar_hs = arvalid_i && arready_o;
      if (arvalid_i && arstall_q && qn < QDepth) obs_ar_stall_q <= obs_ar_stall_q + 1;
      cyc_q <= cyc_q + 1;
      arstall_q <= ($urandom_range(99) < cfg_arstall_pct_i);
      a = cur_addr;
      left = cur_left;
      // data channel: advance when the current beat is taken (or none is shown)
      if (!rvalid_o || rready_i) begin
        rvalid_o <= 1'b0;
        if (left == 0 && qn != 0 && qt[qh] <= cyc_q + 1) begin
          a    = qa[qh];
          left = ql[qh];
          qh   = (qh + 1) % QDepth;
          qn   = qn - 1;
        end
        if (left != 0 && $urandom_range(99) < cfg_gap_pct_i) begin
          obs_r_stall_q <= obs_r_stall_q + 1;  // a gap cycle: the due beat is held back
        end else if (left != 0) begin
          automatic int unsigned beat = int'(a >> SizeLog2);
          rvalid_o <= 1'b1;
          rlast_o  <= (left == 1);
          if (beat >= DepthBeats) begin
            rresp_o <= 2'b11;
            rdata_o <= '0;
          end else begin
            rresp_o <= (beat >= cfg_err_beat_i) ? 2'b10 : 2'b00;
            rdata_o <= mem[beat];
          end
          a    = a + AddrBits'(BeatBytes);
          left = left - 1;
        end
      end
      cur_addr <= a;
      cur_left <= left;
      if (ar_hs) begin
        automatic int unsigned slot = (qh + qn) % QDepth;
        automatic int unsigned extra = (cfg_jitter_i == 0) ? 0 : $urandom_range(int'(cfg_jitter_i));
        qa[slot] = araddr_i;
        ql[slot] = 9'(arlen_i) + 9'd1;
        qt[slot] = cyc_q + 64'(cfg_latency_i) + 64'(extra);
        qn       = qn + 1;
        obs_ar_n_q       <= obs_ar_n_q + 1;
        obs_ar_lat_sum_q <= obs_ar_lat_sum_q + 64'(cfg_latency_i) + 64'(extra);
        if (arburst_i != 2'b01 || arsize_i != 3'(SizeLog2)) begin
          $error("mp_axi_rd_mem_sim[%0d]: only full-width INCR bursts are supported", Idx);
        end
        if ((araddr_i & 32'hfff) + (32'(arlen_i) + 1) * BeatBytes > 4096) begin
          $error("mp_axi_rd_mem_sim[%0d]: burst at %h crosses a 4 KiB boundary", Idx, araddr_i);
        end
        if (araddr_i[SizeLog2-1:0] != '0) begin
          $error("mp_axi_rd_mem_sim[%0d]: unaligned burst address %h", Idx, araddr_i);
        end
      end
    end
  end

endmodule
