// Simulation-only AXI4 memory model (slave): sparse associative storage and file I/O.
// Full description, port list and plusargs: docs/memory_model.md.
//
// * Storage: associative array of DataBits-wide beats keyed by beat index (address / BeatBytes).
//   Only written beats cost memory; a beat never written reads as zero. Addresses >= MemBytes are
//   refused with DECERR.
// * INCR bursts of full-width beats (size == log2(BeatBytes)), 1..256 beats; the start address may
//   be unaligned (the first beat is the beat holding it; wstrb decides what is written). WRAP,
//   FIXED and narrow bursts are refused with SLVERR (reads return zero data). A burst crossing a
//   4 KiB boundary is a master bug: an assertion fires.
// * Reads: a ReadFifoDepth-deep read-address FIFO; each burst becomes eligible cfg_read_latency_i
//   cycles after its AR handshake, then returns one beat per cycle, with no bubble between bursts,
//   unless a stall is drawn. A master keeping >= latency beats outstanding sees an R beat on every
//   cycle.
// * Writes: a WriteFifoDepth-deep write-address FIFO; W beats are accepted for the oldest accepted
//   AW (no W before its AW), B is returned after the last W beat, in order.
// * Stalls: a 64-bit xorshift generator seeded with cfg_seed_i at reset draws, every cycle, one
//   byte per channel; a channel stalls in that cycle when its byte < cfg_stall_prob_i (1/256
//   units): AR ready, AW ready, W ready withheld; no new R beat / B response presented.
// * Error injection: while cfg_err_en_i is high, a burst whose beats cover byte address
//   cfg_err_addr_i (checked at its address handshake) gets SLVERR: reads return zero data on every
//   beat, writes are discarded.
// * Load/dump: plusargs +<Name>_load=<file> [+<Name>_load_base=<hex>] and +<Name>_load<k>=<file>
//   [+<Name>_base<k>=<hex>] (k < MaxLoads) are loaded at time 0 and again on each load_req_i pulse;
//   dump_req_i writes dump_bytes_i raw bytes from dump_addr_i to +<Name>_dump=<file>.
// * Debug: dbg_we_i pokes one beat (with dbg_wstrb_i) at dbg_addr_i; dbg_rdata_o is registered:
//   after each edge it holds the beat at the dbg_addr_i sampled at that edge (after its writes).
// * Observation: free-running 64-bit counters obs_*_q (never reset, no port, no effect on the
//   behaviour) of what the model really did: stall cycles per channel, latency-wait cycles, AR
//   handshakes and the sum of their latencies. Testbenches read them hierarchically (make them
//   public with a `public_flat_rw -module "ll_axi_mem_sim" -var "obs_*"` line, see
//   docs/memory_model.md) as differences before / after a run.
module ll_axi_mem_sim #(
  parameter string           Name           = "mem",
  parameter int unsigned     DataBits       = 256,
  parameter int unsigned     AddrBits       = 32,
  parameter int unsigned     IdBits         = 4,
  parameter longint unsigned MemBytes       = 64'd16777216,
  parameter int unsigned     ReadFifoDepth  = 32,
  parameter int unsigned     WriteFifoDepth = 8,
  parameter int unsigned     MaxLoads       = 16
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,
  // AXI4 write address
  input  logic [IdBits-1:0]     axi_awid_i,
  input  logic [AddrBits-1:0]   axi_awaddr_i,
  input  logic [7:0]            axi_awlen_i,
  input  logic [2:0]            axi_awsize_i,
  input  logic [1:0]            axi_awburst_i,
  input  logic                  axi_awvalid_i,
  output logic                  axi_awready_o,
  // AXI4 write data
  input  logic [DataBits-1:0]   axi_wdata_i,
  input  logic [DataBits/8-1:0] axi_wstrb_i,
  input  logic                  axi_wlast_i,
  input  logic                  axi_wvalid_i,
  output logic                  axi_wready_o,
  // AXI4 write response
  output logic [IdBits-1:0]     axi_bid_o,
  output logic [1:0]            axi_bresp_o,
  output logic                  axi_bvalid_o,
  input  logic                  axi_bready_i,
  // AXI4 read address
  input  logic [IdBits-1:0]     axi_arid_i,
  input  logic [AddrBits-1:0]   axi_araddr_i,
  input  logic [7:0]            axi_arlen_i,
  input  logic [2:0]            axi_arsize_i,
  input  logic [1:0]            axi_arburst_i,
  input  logic                  axi_arvalid_i,
  output logic                  axi_arready_o,
  // AXI4 read data
  output logic [IdBits-1:0]     axi_rid_o,
  output logic [DataBits-1:0]   axi_rdata_o,
  output logic [1:0]            axi_rresp_o,
  output logic                  axi_rlast_o,
  output logic                  axi_rvalid_o,
  input  logic                  axi_rready_i,
  // run-time configuration
  input  logic [15:0]           cfg_read_latency_i,  // AR handshake to first R beat, >= 1 cycles
  input  logic [7:0]            cfg_stall_prob_i,    // stall probability per channel, /256
  input  logic [31:0]           cfg_seed_i,          // stall generator seed, taken at reset
  input  logic                  cfg_err_en_i,
  input  logic [AddrBits-1:0]   cfg_err_addr_i,
  // file load / dump
  input  logic                  load_req_i,          // (re)load every +<Name>_load* file
  input  logic                  dump_req_i,          // write a region to +<Name>_dump=<file>
  input  logic [AddrBits-1:0]   dump_addr_i,         // beat-aligned byte address
  input  logic [31:0]           dump_bytes_i,
  // single-beat debug access
  input  logic                  dbg_we_i,
  input  logic [AddrBits-1:0]   dbg_addr_i,          // byte address (beat holding it)
  input  logic [DataBits-1:0]   dbg_wdata_i,
  input  logic [DataBits/8-1:0] dbg_wstrb_i,
  output logic [DataBits-1:0]   dbg_rdata_o
);
  localparam int unsigned BeatBytes = DataBits / 8;
  localparam int unsigned OffBits   = $clog2(BeatBytes);
  localparam longint unsigned BeatBytesL = 64'(BeatBytes);
  localparam int unsigned RdPtrBits = $clog2(ReadFifoDepth);
  localparam int unsigned WrPtrBits = $clog2(WriteFifoDepth);
  localparam logic [1:0]  RespOkay   = 2'b00;
  localparam logic [1:0]  RespSlvErr = 2'b10;
  localparam logic [1:0]  RespDecErr = 2'b11;
  localparam logic [1:0]  BurstIncr  = 2'b01;

  typedef logic [DataBits-1:0]   beat_t;
  typedef logic [BeatBytes-1:0]  strb_t;
  typedef longint unsigned       idx_t;   // beat index

  // one accepted burst (read or write)
  typedef struct packed {
    logic [IdBits-1:0] id;
    logic [63:0]       idx;    // first beat index
    logic [7:0]        len;    // beats - 1
    logic [1:0]        resp;
    logic [63:0]       due;    // reads: first cycle (cyc_q) at which beat 0 may be loaded into R
  } burst_t;

  // -----------------------------------------------------------------------------------------------
  // elaboration checks
  if (DataBits < 8 || DataBits > 1024 || (DataBits & (DataBits - 1)) != 0) begin : g_bad_data
    $error("ll_axi_mem_sim: DataBits must be a power of two in 8..1024");
  end
  if (AddrBits < 12 || AddrBits > 64) begin : g_bad_addr
    $error("ll_axi_mem_sim: AddrBits must be in 12..64");
  end
  if (ReadFifoDepth < 2 || (ReadFifoDepth & (ReadFifoDepth - 1)) != 0 ||
      WriteFifoDepth < 2 || (WriteFifoDepth & (WriteFifoDepth - 1)) != 0) begin : g_bad_fifo
    $error("ll_axi_mem_sim: FIFO depths must be powers of two >= 2");
  end
  if (MemBytes == 0 || MemBytes % BeatBytesL != 0) begin : g_bad_size
    $error("ll_axi_mem_sim: MemBytes must be a non-zero multiple of the beat size");
  end

  // -----------------------------------------------------------------------------------------------
  // storage and its access functions (blocking updates, all from one process plus the time-0 load)
  beat_t mem_q [idx_t];

  function automatic beat_t mem_read(idx_t idx);
    if (mem_q.exists(idx)) return mem_q[idx];
    return '0;
  endfunction

  task automatic mem_write(idx_t idx, beat_t data, strb_t strb);
    beat_t cur;
    if (&strb) begin
      mem_q[idx] = data;
    end else if (|strb) begin
      cur = mem_read(idx);
      for (int unsigned b = 0; b < BeatBytes; b++) begin
        if (strb[b]) cur[8*b +: 8] = data[8*b +: 8];
      end
      mem_q[idx] = cur;
    end
  endtask

  // Files are read ChunkBeats beats per $fread; a whole zero beat that was never written is skipped
  // (it reads as zero anyway), so zero-filled regions of an image cost neither time nor memory.
  localparam int unsigned ChunkBeats = 256;
  task automatic load_file(string fname, longint unsigned base);
    int fd;
    int n;
    longint unsigned size;
    idx_t idx;
    beat_t raw;
    strb_t strb;
    int unsigned nb;
    logic [7:0] chunk [BeatBytes * ChunkBeats];
    fd = $fopen(fname, "rb");
    if (fd == 0) $fatal(1, "%s: cannot open load file '%s'", Name, fname);
    if (base % BeatBytesL != 0) begin
      $fatal(1, "%s: load base 0x%0h of '%s' is not a multiple of %0d bytes", Name, base, fname,
             BeatBytes);
    end
    void'($fseek(fd, 0, 2));
    size = longint'($ftell(fd));
    void'($rewind(fd));
    if (base > MemBytes || size > MemBytes - base) begin
      $fatal(1, "%s: '%s' (%0d bytes at 0x%0h) does not fit in %0d bytes of memory", Name, fname,
             size, base, MemBytes);
    end
    idx = base / BeatBytesL;
    for (longint unsigned done = 0; done < size; done += longint'(n)) begin
      n = $fread(chunk, fd);  // chunk[k] = byte k of this chunk (fewer at the end of the file)
      if (n <= 0) $fatal(1, "%s: read error in '%s' at byte %0d", Name, fname, done);
      nb = (int'(n) + BeatBytes - 1) / BeatBytes;
      for (int unsigned b = 0; b < nb; b++) begin
        for (int unsigned k = 0; k < BeatBytes; k++) raw[8*k +: 8] = chunk[b * BeatBytes + k];
        if (int'((b + 1) * BeatBytes) <= n) begin
          if (raw != '0 || mem_q.exists(idx)) mem_q[idx] = raw;
        end else begin
          strb = '0;
          for (int k = 0; k < n - int'(b * BeatBytes); k++) strb[k] = 1'b1;
          mem_write(idx, raw, strb);
        end
        idx++;
      end
    end
    $fclose(fd);
    $display("%s: loaded %0d bytes from '%s' at 0x%0h", Name, size, fname, base);
  endtask

  task automatic load_plusargs();
    string fname;
    logic [63:0] base;
    if ($value$plusargs({Name, "_load=%s"}, fname)) begin
      base = '0;
      void'($value$plusargs({Name, "_load_base=%h"}, base));
      load_file(fname, base);
    end
    for (int k = 0; k < int'(MaxLoads); k++) begin
      if ($value$plusargs($sformatf("%s_load%0d=%%s", Name, k), fname)) begin
        base = '0;
        void'($value$plusargs($sformatf("%s_base%0d=%%h", Name, k), base));
        load_file(fname, base);
      end
    end
  endtask

  task automatic dump_region(longint unsigned addr, longint unsigned nbytes);
    string fname;
    int fd;
    beat_t b;
    longint unsigned left;
    if (!$value$plusargs({Name, "_dump=%s"}, fname)) begin
      $fatal(1, "%s: dump requested but no +%s_dump=<file> plusarg given", Name, Name);
    end
    if (addr % BeatBytesL != 0) begin
      $fatal(1, "%s: dump address 0x%0h is not a multiple of %0d bytes", Name, addr, BeatBytes);
    end
    fd = $fopen(fname, "wb");
    if (fd == 0) $fatal(1, "%s: cannot open dump file '%s'", Name, fname);
    left = nbytes;
    for (idx_t idx = addr / BeatBytesL; left != 0; idx++) begin
      b = mem_read(idx);
      if (DataBits >= 32 && left >= BeatBytesL) begin
        $fwrite(fd, "%u", b);  // the whole beat, raw, least significant byte first
        left -= BeatBytesL;
        continue;
      end
      for (int unsigned k = 0; k < BeatBytes && left != 0; ) begin
        if (left >= 4 && k + 4 <= BeatBytes) begin
          $fwrite(fd, "%u", b[8*k +: 32]);  // raw 4 bytes, least significant first
          k += 4;
          left -= 4;
        end else begin
          $fwrite(fd, "%c", b[8*k +: 8]);
          k += 1;
          left -= 1;
        end
      end
    end
    $fclose(fd);
    $display("%s: dumped %0d bytes at 0x%0h to '%s'", Name, nbytes, addr, fname);
  endtask

  initial load_plusargs();

  // -----------------------------------------------------------------------------------------------
  // cycle counter and stall generator
  logic [63:0] cyc_q;
  logic [63:0] rng_q;
  logic        stall_ar, stall_aw, stall_w, stall_r, stall_b;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      cyc_q <= '0;
      // xorshift64 must not start at zero
      rng_q <= {32'h9e3779b9, cfg_seed_i} ^ {cfg_seed_i, 32'h7f4a7c15};
      if (cfg_seed_i == 32'h0) rng_q <= 64'h9e3779b97f4a7c15;
    end else begin
      cyc_q <= cyc_q + 64'd1;
      rng_q <= xorshift64(rng_q);
    end
  end

  function automatic logic [63:0] xorshift64(logic [63:0] x);
    logic [63:0] y;
    y = x ^ (x << 13);
    y = y ^ (y >> 7);
    y = y ^ (y << 17);
    return y;
  endfunction

  assign stall_r  = rng_q[7:0]   < cfg_stall_prob_i;
  assign stall_w  = rng_q[15:8]  < cfg_stall_prob_i;
  assign stall_b  = rng_q[23:16] < cfg_stall_prob_i;
  assign stall_ar = rng_q[31:24] < cfg_stall_prob_i;
  assign stall_aw = rng_q[39:32] < cfg_stall_prob_i;

  // -----------------------------------------------------------------------------------------------
  // burst classification at the address handshake
  function automatic burst_t classify(logic [IdBits-1:0] id, logic [AddrBits-1:0] addr,
                                      logic [7:0] len, logic [2:0] size, logic [1:0] burst,
                                      logic [63:0] due);
    burst_t c;
    logic [63:0] first;   // byte address of the first beat
    logic [63:0] nbytes;
    logic [63:0] err_a;
    first  = 64'(addr) & ~64'(BeatBytes - 1);
    nbytes = (64'(len) + 64'd1) * 64'(BeatBytes);
    err_a  = 64'(cfg_err_addr_i);
    c.id   = id;
    c.idx  = first >> OffBits;
    c.len  = len;
    c.due  = due;
    if (burst != BurstIncr || 32'(size) != OffBits) begin
      c.resp = RespSlvErr;
    end else if (first >= MemBytes || nbytes > MemBytes - first) begin
      c.resp = RespDecErr;
    end else if (cfg_err_en_i && err_a >= first && err_a < first + nbytes) begin
      c.resp = RespSlvErr;
    end else begin
      c.resp = RespOkay;
    end
    return c;
  endfunction

  // -----------------------------------------------------------------------------------------------
  // read path: AR FIFO -> R output register
  burst_t                 rd_fifo_q [ReadFifoDepth];
  logic [RdPtrBits-1:0]   rd_wptr_q, rd_rptr_q;
  logic [RdPtrBits:0]     rd_cnt_q;
  logic [7:0]             r_beat_q;     // beat of the head burst to present next
  logic                   ar_fire, r_fire, r_load, r_last;
  burst_t                 ar_in, rd_head;
  logic                   rd_head_valid;
  logic [63:0]            rd_due;

  assign axi_arready_o = (rd_cnt_q != (RdPtrBits+1)'(ReadFifoDepth)) && !stall_ar;
  assign ar_fire       = axi_arvalid_i && axi_arready_o;
  assign r_fire        = axi_rvalid_o && axi_rready_i;
  assign rd_due        = cyc_q + 64'(cfg_read_latency_i) - 64'd1;
  assign ar_in         = classify(axi_arid_i, axi_araddr_i, axi_arlen_i, axi_arsize_i,
                                  axi_arburst_i, rd_due);
  // the burst being accepted this cycle is the head when the FIFO is empty (bypass), so that a
  // latency of 1 puts the first beat on R in the cycle right after the AR handshake
  assign rd_head_valid = (rd_cnt_q != '0) || ar_fire;
  assign rd_head       = (rd_cnt_q != '0) ? rd_fifo_q[rd_rptr_q] : ar_in;
  // a new beat enters the R register when the register is free (or being emptied), the head burst
  // has waited its latency and no stall was drawn for this cycle
  assign r_load = (!axi_rvalid_o || axi_rready_i) && rd_head_valid && (cyc_q >= rd_head.due) &&
                  !stall_r;
  assign r_last = (r_beat_q == rd_head.len);

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      rd_wptr_q    <= '0;
      rd_rptr_q    <= '0;
      rd_cnt_q     <= '0;
      r_beat_q     <= '0;
      axi_rvalid_o <= 1'b0;
    end else begin
      if (ar_fire) begin
        rd_fifo_q[rd_wptr_q] <= ar_in;
        rd_wptr_q <= rd_wptr_q + 1'b1;
      end
      if (r_load) begin
        axi_rvalid_o <= 1'b1;
        if (r_last) begin
          r_beat_q  <= '0;
          rd_rptr_q <= rd_rptr_q + 1'b1;
        end else begin
          r_beat_q <= r_beat_q + 8'd1;
        end
      end else if (r_fire) begin
        axi_rvalid_o <= 1'b0;
      end
      rd_cnt_q <= rd_cnt_q + (RdPtrBits+1)'(ar_fire)
                           - (RdPtrBits+1)'(r_load && r_last);
    end
  end

  // -----------------------------------------------------------------------------------------------
  // write path: AW FIFO, W beats for the head burst, B FIFO -> B output register
  burst_t                 wr_fifo_q [WriteFifoDepth];
  logic [WrPtrBits-1:0]   wr_wptr_q, wr_rptr_q;
  logic [WrPtrBits:0]     wr_cnt_q;
  logic [7:0]             w_beat_q;
  /* verilator lint_off UNUSEDSIGNAL */
  burst_t                 wr_head;      // .due is unused: writes carry no latency stamp
  /* verilator lint_on UNUSEDSIGNAL */
  logic [IdBits+1:0]      b_fifo_q [WriteFifoDepth];   // {id, resp}
  logic [WrPtrBits-1:0]   b_wptr_q, b_rptr_q;
  logic [WrPtrBits:0]     b_cnt_q;
  logic                   aw_fire, w_fire, w_done, b_fire, b_load;

  assign wr_head       = wr_fifo_q[wr_rptr_q];
  assign axi_awready_o = (wr_cnt_q != (WrPtrBits+1)'(WriteFifoDepth)) && !stall_aw;
  assign axi_wready_o  = (wr_cnt_q != '0) && (b_cnt_q != (WrPtrBits+1)'(WriteFifoDepth)) &&
                         !stall_w;
  assign aw_fire       = axi_awvalid_i && axi_awready_o;
  assign w_fire        = axi_wvalid_i && axi_wready_o;
  assign w_done        = w_fire && (w_beat_q == wr_head.len);
  assign b_fire        = axi_bvalid_o && axi_bready_i;
  assign b_load        = (!axi_bvalid_o || axi_bready_i) && (b_cnt_q != '0) && !stall_b;

  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      wr_wptr_q    <= '0;
      wr_rptr_q    <= '0;
      wr_cnt_q     <= '0;
      w_beat_q     <= '0;
      b_wptr_q     <= '0;
      b_rptr_q     <= '0;
      b_cnt_q      <= '0;
      axi_bvalid_o <= 1'b0;
    end else begin
      if (aw_fire) begin
        wr_fifo_q[wr_wptr_q] <= classify(axi_awid_i, axi_awaddr_i, axi_awlen_i, axi_awsize_i,
                                         axi_awburst_i, '0);
        wr_wptr_q <= wr_wptr_q + 1'b1;
      end
      if (w_fire) w_beat_q <= w_done ? 8'd0 : w_beat_q + 8'd1;
      if (w_done) begin
        wr_rptr_q <= wr_rptr_q + 1'b1;
        b_fifo_q[b_wptr_q] <= {wr_head.id, wr_head.resp};
        b_wptr_q <= b_wptr_q + 1'b1;
      end
      wr_cnt_q <= wr_cnt_q + (WrPtrBits+1)'(aw_fire) - (WrPtrBits+1)'(w_done);
      if (b_load) begin
        axi_bvalid_o <= 1'b1;
        {axi_bid_o, axi_bresp_o} <= b_fifo_q[b_rptr_q];
        b_rptr_q <= b_rptr_q + 1'b1;
      end else if (b_fire) begin
        axi_bvalid_o <= 1'b0;
      end
      b_cnt_q <= b_cnt_q + (WrPtrBits+1)'(w_done) - (WrPtrBits+1)'(b_load);
    end
  end

  // -----------------------------------------------------------------------------------------------
  // the one process touching storage after time 0: W beats, debug pokes, R data, peeks, load, dump
  always_ff @(posedge clk_i) begin
    if (load_req_i) load_plusargs();
    if (rst_ni && w_fire && wr_head.resp == RespOkay) begin
      mem_write(idx_t'(wr_head.idx) + idx_t'(w_beat_q), axi_wdata_i, axi_wstrb_i);
    end
    if (dbg_we_i) mem_write(idx_t'(dbg_addr_i) >> OffBits, dbg_wdata_i, dbg_wstrb_i);
    if (r_load && rst_ni) begin
      axi_rid_o   <= rd_head.id;
      axi_rresp_o <= rd_head.resp;
      axi_rlast_o <= r_last;
      axi_rdata_o <= (rd_head.resp == RespOkay) ? mem_read(idx_t'(rd_head.idx) + idx_t'(r_beat_q))
                                                : '0;
    end
    dbg_rdata_o <= mem_read(idx_t'(dbg_addr_i) >> OffBits);
    if (dump_req_i) dump_region(longint'(dump_addr_i), longint'(dump_bytes_i));
  end

  // -----------------------------------------------------------------------------------------------
  // observation counters (simulation-only, read by testbenches; free-running, never reset, so that a
  // difference taken across a reset of the design is still right): what the model really did
  //   obs_ar_stall_q  cycles arvalid && !arready because of a drawn AR stall (AR FIFO not full)
  //   obs_r_stall_q   cycles a due R beat was held back by a drawn R stall (register free, head due)
  //   obs_r_wait_q    cycles the R register was free and the head burst was waiting for its latency
  //   obs_aw_stall_q  cycles awvalid && !awready because of a drawn AW stall (AW FIFO not full)
  //   obs_w_stall_q   cycles wvalid && !wready because of a drawn W stall (W otherwise acceptable)
  //   obs_b_stall_q   cycles a waiting B response was held back by a drawn B stall
  //   obs_ar_n_q      AR handshakes; obs_ar_lat_sum_q: sum of cfg_read_latency_i at those handshakes
  /* verilator lint_off UNUSEDSIGNAL */
  logic [63:0] obs_ar_stall_q, obs_r_stall_q, obs_r_wait_q, obs_aw_stall_q, obs_w_stall_q,
               obs_b_stall_q, obs_ar_n_q, obs_ar_lat_sum_q;
  /* verilator lint_on UNUSEDSIGNAL */
  logic        r_free;
  assign r_free = !axi_rvalid_o || axi_rready_i;

  always_ff @(posedge clk_i) begin
    if (rst_ni) begin
      obs_ar_stall_q <= obs_ar_stall_q + 64'(axi_arvalid_i && stall_ar &&
                                               rd_cnt_q != (RdPtrBits+1)'(ReadFifoDepth));
      obs_r_stall_q  <= obs_r_stall_q + 64'(r_free && rd_head_valid && cyc_q >= rd_head.due &&
                                              stall_r);
      obs_r_wait_q   <= obs_r_wait_q + 64'(r_free && rd_head_valid && cyc_q < rd_head.due);
      obs_aw_stall_q <= obs_aw_stall_q + 64'(axi_awvalid_i && stall_aw &&
                                               wr_cnt_q != (WrPtrBits+1)'(WriteFifoDepth));
      obs_w_stall_q  <= obs_w_stall_q + 64'(axi_wvalid_i && stall_w && wr_cnt_q != '0 &&
                                              b_cnt_q != (WrPtrBits+1)'(WriteFifoDepth));
      obs_b_stall_q  <= obs_b_stall_q + 64'((!axi_bvalid_o || axi_bready_i) && b_cnt_q != '0 &&
                                              stall_b);
      obs_ar_n_q     <= obs_ar_n_q + 64'(ar_fire);
      obs_ar_lat_sum_q <= obs_ar_lat_sum_q + (ar_fire ? 64'(cfg_read_latency_i) : 64'd0);
    end
  end

  // -----------------------------------------------------------------------------------------------
  // assertions
`ifndef SYNTHESIS
  function automatic logic crosses_4k(logic [AddrBits-1:0] addr, logic [7:0] len);
    logic [63:0] first;
    first = 64'(addr) & ~64'(BeatBytes - 1);
    return ((first & 64'hfff) + (64'(len) + 64'd1) * 64'(BeatBytes)) > 64'h1000;
  endfunction

  // master side: handshake stability (valid held until ready, payload stable)
  a_aw_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
    axi_awvalid_i && !axi_awready_o |=> axi_awvalid_i &&
      $stable({axi_awid_i, axi_awaddr_i, axi_awlen_i, axi_awsize_i, axi_awburst_i}))
    else $error("%s: AW changed or dropped before awready", Name);
  a_w_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
    axi_wvalid_i && !axi_wready_o |=> axi_wvalid_i &&
      $stable({axi_wdata_i, axi_wstrb_i, axi_wlast_i}))
    else $error("%s: W changed or dropped before wready", Name);
  a_ar_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
    axi_arvalid_i && !axi_arready_o |=> axi_arvalid_i &&
      $stable({axi_arid_i, axi_araddr_i, axi_arlen_i, axi_arsize_i, axi_arburst_i}))
    else $error("%s: AR changed or dropped before arready", Name);
  // slave side (this model): R and B held until accepted
  a_r_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
    axi_rvalid_o && !axi_rready_i |=> axi_rvalid_o &&
      $stable({axi_rid_o, axi_rdata_o, axi_rresp_o, axi_rlast_o}))
    else $error("%s: R changed before rready", Name);
  a_b_stable: assert property (@(posedge clk_i) disable iff (!rst_ni)
    axi_bvalid_o && !axi_bready_i |=> axi_bvalid_o && $stable({axi_bid_o, axi_bresp_o}))
    else $error("%s: B changed before bready", Name);
  // wlast exactly on the last beat of the burst
  a_wlast: assert property (@(posedge clk_i) disable iff (!rst_ni)
    w_fire |-> axi_wlast_i == (w_beat_q == wr_head.len))
    else $error("%s: wlast=%0d on beat %0d of a %0d-beat burst", Name, axi_wlast_i, w_beat_q,
                wr_head.len + 1);
  // INCR bursts must not cross a 4 KiB boundary
  a_ar_4k: assert property (@(posedge clk_i) disable iff (!rst_ni)
    ar_fire && axi_arburst_i == BurstIncr |-> !crosses_4k(axi_araddr_i, axi_arlen_i))
    else $error("%s: read burst at 0x%0h len %0d crosses a 4 KiB boundary", Name, axi_araddr_i,
                axi_arlen_i + 1);
  a_aw_4k: assert property (@(posedge clk_i) disable iff (!rst_ni)
    aw_fire && axi_awburst_i == BurstIncr |-> !crosses_4k(axi_awaddr_i, axi_awlen_i))
    else $error("%s: write burst at 0x%0h len %0d crosses a 4 KiB boundary", Name, axi_awaddr_i,
                axi_awlen_i + 1);
  // latency configuration
  a_latency: assert property (@(posedge clk_i) disable iff (!rst_ni)
    ar_fire |-> cfg_read_latency_i != '0)
    else $error("%s: cfg_read_latency_i must be >= 1", Name);
  // no R beat without an outstanding burst; FIFO counters in range
  // ghost count of beats requested and not yet returned
  longint unsigned rd_beats_out_q;
  always_ff @(posedge clk_i) begin
    if (!rst_ni) rd_beats_out_q <= 0;
    else rd_beats_out_q <= rd_beats_out_q + (ar_fire ? longint'(axi_arlen_i) + 1 : 0)
                                          - (r_fire ? 1 : 0);
  end
  a_r_outstanding: assert property (@(posedge clk_i) disable iff (!rst_ni)
    axi_rvalid_o |-> rd_beats_out_q != 0)
    else $error("%s: R beat without an outstanding read burst", Name);
  a_rd_cnt: assert property (@(posedge clk_i) disable iff (!rst_ni)
    rd_cnt_q <= (RdPtrBits+1)'(ReadFifoDepth));
  a_wr_cnt: assert property (@(posedge clk_i) disable iff (!rst_ni)
    wr_cnt_q <= (WrPtrBits+1)'(WriteFifoDepth) && b_cnt_q <= (WrPtrBits+1)'(WriteFifoDepth));
`endif

endmodule
