// Result packer: a stream of result beats (NumIn 32-bit lanes + lane mask) -> full 256-bit beats of
// int8 elements (32 per beat, the low byte of each valid lane) or of 32-bit elements (8 per beat),
// in element order (docs/node_glue.md).
//
// - Input beat: in_data_i[l] is element l of the beat, in_mask_i[l] says it exists. The valid lanes
//   form a prefix (lanes 0..k-1, k >= 1), and only the final beat of a vector (in_last_i) may be
//   partial: exactly what ll_mp produces. in_mode_i (0 = int8, 1 = int32) is a sideband of every
//   beat and must be constant within a vector. Violations fire assertions.
// - Output beat: element e of the vector sits in output beat e / Epb at slot e % Epb (Epb = 32 int8
//   or 8 int32 elements per beat, slot 0 in the low bits). out_last_o marks the final beat of the
//   vector, which is zero-padded above the last element. out_count_o = number of valid elements in
//   the beat (Epb except possibly on the last beat).
// - Because NumIn divides Epb and only the last beat is partial, an input beat never straddles two
//   output beats. Elements collect in an accumulator; the input beat that completes an output beat
//   (slot full, or in_last_i) moves it into the output register.
// - Timing: latency 1 (input beat accepted in cycle t -> its output beat valid in t+1). Throughput:
//   one input beat per cycle whenever the output register is free or being drained, hence one output
//   beat per cycle when every input beat completes one (int32 with NumIn = 8), no bubble.
//   in_ready_o = !out_valid_o || out_ready_i (combinational ready -> ready path; valid is a register).
module ll_pack #(
  parameter int unsigned NumIn    = 8,
  parameter int unsigned DataBits = 256,
  localparam int unsigned EpbMax   = DataBits / 8,   // int8 elements per beat
  localparam int unsigned CntBits  = $clog2(EpbMax + 1)
) (
  input  logic                        clk_i,
  input  logic                        rst_ni,
  input  logic                        in_valid_i,
  output logic                        in_ready_o,
  input  logic [NumIn-1:0][31:0]      in_data_i,
  input  logic [NumIn-1:0]            in_mask_i,
  input  logic                        in_last_i,
  input  logic                        in_mode_i,     // 0 = int8 elements, 1 = int32 elements
  output logic                        out_valid_o,
  input  logic                        out_ready_i,
  output logic [DataBits-1:0]         out_data_o,
  output logic                        out_last_o,
  output logic [CntBits-1:0]          out_count_o
);

  `include "ll_assert.svh"
  `include "ll_registers.svh"

  localparam int unsigned Epb32    = DataBits / 32;       // int32 elements per beat
  localparam int unsigned Slots8   = EpbMax / NumIn;      // input beats per output beat, int8
  localparam int unsigned Slots32  = Epb32 / NumIn;       // input beats per output beat, int32
  localparam int unsigned SlotBits = (Slots8 > 1) ? $clog2(Slots8) : 1;

  `LL_ASSERT_INIT(NumInPow2, NumIn >= 1 && (NumIn & (NumIn - 1)) == 0)
  `LL_ASSERT_INIT(NumInFitsInt32Beat, NumIn <= Epb32)
  `LL_ASSERT_INIT(DataBitsMultipleOf32, DataBits % 32 == 0 && DataBits >= 32)

  logic [DataBits-1:0] acc_q, acc_d;
  logic [SlotBits-1:0] slot_q, slot_d;
  logic [CntBits-1:0]  cnt_q, cnt_d;           // valid elements in acc_q
  logic [DataBits-1:0] out_q, out_d;
  logic                out_valid_q, out_valid_d;
  logic                out_last_q, out_last_d;
  logic [CntBits-1:0]  out_cnt_q, out_cnt_d;
  logic                in_hs;
  logic [DataBits-1:0] merged;                 // acc_q with this input beat's elements inserted
  logic [CntBits-1:0]  n_valid;                // valid lanes of this input beat
  logic                slot_last;

  assign in_ready_o = ~out_valid_q | out_ready_i;
  assign in_hs      = in_valid_i & in_ready_o;

  always_comb begin
    n_valid = '0;
    for (int unsigned l = 0; l < NumIn; l++) begin
      n_valid = n_valid + CntBits'(in_mask_i[l]);
    end
  end

  always_comb begin
    merged = acc_q;
    for (int unsigned l = 0; l < NumIn; l++) begin
      if (in_mask_i[l]) begin
        if (in_mode_i) begin
          merged[(32'(slot_q) * NumIn + l) * 32 +: 32] = in_data_i[l];
        end else begin
          merged[(32'(slot_q) * NumIn + l) * 8 +: 8] = in_data_i[l][7:0];
        end
      end
    end
  end

  assign slot_last = in_mode_i ? (32'(slot_q) == Slots32 - 1) : (32'(slot_q) == Slots8 - 1);

  always_comb begin
    acc_d       = acc_q;
    slot_d      = slot_q;
    cnt_d       = cnt_q;
    out_d       = out_q;
    out_last_d  = out_last_q;
    out_cnt_d   = out_cnt_q;
    out_valid_d = out_valid_q & ~out_ready_i;
    if (in_hs) begin
      if (slot_last || in_last_i) begin
        out_d       = merged;
        out_last_d  = in_last_i;
        out_cnt_d   = cnt_q + n_valid;
        out_valid_d = 1'b1;
        acc_d       = '0;
        slot_d      = '0;
        cnt_d       = '0;
      end else begin
        acc_d  = merged;
        slot_d = slot_q + 1'b1;
        cnt_d  = cnt_q + n_valid;
      end
    end
  end

  `LL_FF(acc_q, acc_d, '0)
  `LL_FF(slot_q, slot_d, '0)
  `LL_FF(cnt_q, cnt_d, '0)
  `LL_FF(out_valid_q, out_valid_d, 1'b0)
  `LL_FF(out_last_q, out_last_d, 1'b0)
  `LL_FF(out_cnt_q, out_cnt_d, '0)
  `LL_FFNR(out_q, out_d)

  assign out_valid_o = out_valid_q;
  assign out_data_o  = out_q;
  assign out_last_o  = out_last_q;
  assign out_count_o = out_cnt_q;

  // ------------------------------------------------------------------------------------------------
  // assertions
`ifndef SYNTHESIS
  logic mode_q;        // mode of the vector in progress
  logic in_vec_q;      // a vector has started (some beat accepted, its last not yet)
  always_ff @(posedge clk_i) begin
    if (!rst_ni) begin
      in_vec_q <= 1'b0;
      mode_q   <= 1'b0;
    end else if (in_hs) begin
      in_vec_q <= ~in_last_i;
      mode_q   <= in_mode_i;
    end
  end
  `LL_ASSERT_IMPL(MaskPrefix, in_valid_i, ((in_mask_i + 1'b1) & in_mask_i) == '0)
  `LL_ASSERT_IMPL(MaskNotEmpty, in_valid_i, in_mask_i[0])
  `LL_ASSERT_IMPL(PartialOnlyLast, in_valid_i && !in_last_i, &in_mask_i)
  `LL_ASSERT_IMPL(ModeConstantInVector, in_valid_i && in_vec_q, in_mode_i == mode_q)
`endif
  `LL_ASSERT_STREAM(InStable, in_valid_i, in_ready_o, {in_data_i, in_mask_i, in_last_i, in_mode_i})
  `LL_ASSERT_STREAM(OutStable, out_valid_o, out_ready_i, {out_data_o, out_last_o, out_count_o})

endmodule
