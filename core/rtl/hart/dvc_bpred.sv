// dvc_bpred: branch prediction for the fetch stage: a direct-mapped branch target buffer (BTB)
// and a table of 2-bit direction counters (BHT), both indexed by the 4-byte fetch block.
//
// An entry names the parcel of its block that holds the LAST parcel of a control-flow
// instruction (so a 32-bit branch spanning two blocks is predicted when its second half is
// fetched), the target, and whether the instruction is a conditional branch, which then
// follows its counter; jumps are always predicted taken. Execute trains the tables: a taken
// branch or jump writes its entry, a conditional branch moves its counter, and an entry that
// predicted a taken transfer where there is none is dropped (as is one that would split a
// 32-bit instruction, which the fetch stage reports).
module dvc_bpred #(
  parameter int BTB_ENTRIES = 64,
  parameter int BHT_ENTRIES = 512
) (
  input  logic        clk,
  input  logic        rst,
  // lookup for the block being fetched
  input  logic [63:2] block,
  output logic        hit,            // predicts a taken transfer ...
  output logic        parcel,         // ... at this parcel of the block
  output logic [63:1] target,
  // training from execute
  input  logic        upd_valid,
  input  logic [63:1] upd_last,       // address of the instruction's last parcel
  input  logic        upd_cfi,        // it is a branch or a jump
  input  logic        upd_cond,       // it is a conditional branch
  input  logic        upd_taken,
  input  logic [63:1] upd_target,
  // drop the entry of a block (a prediction that split an instruction)
  input  logic        inval,
  input  logic [63:2] inval_block
);
  localparam int BI = $clog2(BTB_ENTRIES);
  localparam int HI = $clog2(BHT_ENTRIES);

  logic [BTB_ENTRIES-1:0] valid;
  logic [63-2-BI:0] tags    [BTB_ENTRIES];
  logic             parcels [BTB_ENTRIES];
  logic             conds   [BTB_ENTRIES];
  logic [63:1]      targets [BTB_ENTRIES];
  // Counters are not reset: one is initialized (weakly taken) when its entry is allocated for
  // a conditional branch, and only read for such an entry.
  logic [1:0]       ctr     [BHT_ENTRIES];

  logic [BI-1:0] li, ui, ii;
  logic [HI-1:0] lh, uh;
  assign li = block[2 +: BI];
  assign lh = block[2 +: HI];
  assign ui = upd_last[2 +: BI];
  assign uh = upd_last[2 +: HI];
  assign ii = inval_block[2 +: BI];
  logic unused_inval;  // direct-mapped: the tag is not needed to drop an entry
  assign unused_inval = ^inval_block;

  assign hit = valid[li] && tags[li] == block[63:2+BI] && (!conds[li] || ctr[lh][1]);
  assign parcel = parcels[li];
  assign target = targets[li];

  logic upd_match;
  assign upd_match = valid[ui] && tags[ui] == upd_last[63:2+BI] && parcels[ui] == upd_last[1];

  always_ff @(posedge clk) begin
    if (rst) begin
      valid <= '0;
    end else begin
      if (upd_valid) begin
        if (upd_cfi && upd_taken) begin
          valid[ui] <= 1'b1;
          tags[ui] <= upd_last[63:2+BI];
          parcels[ui] <= upd_last[1];
          conds[ui] <= upd_cond;
          targets[ui] <= upd_target;
        end else if (!upd_cfi && upd_match) begin
          valid[ui] <= 1'b0;
        end
        if (upd_cfi && upd_cond && upd_taken && !upd_match) begin
          ctr[uh] <= 2'b10;
        end else if (upd_cfi && upd_cond) begin
          if (upd_taken && ctr[uh] != 2'b11) ctr[uh] <= ctr[uh] + 2'b01;
          if (!upd_taken && ctr[uh] != 2'b00) ctr[uh] <= ctr[uh] - 2'b01;
        end
      end
      if (inval) valid[ii] <= 1'b0;
    end
  end
endmodule
