// dvc_pmp: one physical memory protection check (priv spec 1.12 section 3.7) against the 16
// entries held by dvc_csr. Grain 4 bytes; OFF, TOR, NA4 and NAPOT; the L bit makes an entry
// apply to M-mode; S/U accesses matching no entry fail because entries are implemented.
//
// Matching follows dvsim (sim/src/hart/pmp.rs): the lowest-numbered entry that matches ANY byte
// of the access decides, and it must match ALL of them. Accesses here are naturally aligned
// and at most 8 bytes, and entries cover whole 4-byte granules, so "any byte" is "the first or
// the last byte" and "all bytes" is "the first and the last byte". The entries' ranges come
// decoded from dvc_pmp_entries, shared by the hart's checks.
module dvc_pmp (
  input  logic             en,        // a check is wanted (else `perm` is 0, at no cost)
  input  logic [16*8-1:0]  cfg,       // pmpcfg bytes, entry i at [8i+7:8i]
  input  logic [16*2-1:0]  mode,      // decoded: A field per entry
  input  logic [16*64-1:0] lo,        // TOR lower bound, or NA4/NAPOT base
  input  logic [16*64-1:0] hi,        // TOR upper bound (exclusive)
  input  logic [16*64-1:0] mask,      // NA4/NAPOT: the bits below the range's alignment
  input  logic [63:0]      pa,
  input  logic [1:0]       size,      // log2 of the access size
  input  logic [1:0]       prv,       // effective privilege of the access
  output logic [2:0]       perm       // granted {X, W, R}
);
  always_comb begin
    logic [63:0] first, last;
    logic        decided, in_first, in_last;
    in_first = 1'b0;
    in_last = 1'b0;
    first = pa;
    last = pa | {61'd0, (3'd1 << size) - 3'd1};
    decided = 1'b0;
    perm = prv == dvc_pkg::PRV_M && en ? 3'b111 : 3'b000;
    if (en) for (int i = 0; i < 16; i++) begin
      if (mode[2*i +: 2] == 2'd1) begin
        in_first = first >= lo[64*i +: 64] && first < hi[64*i +: 64];
        in_last = last >= lo[64*i +: 64] && last < hi[64*i +: 64];
      end else begin
        in_first = mode[2*i +: 2] != 2'd0 && (first & ~mask[64*i +: 64]) == lo[64*i +: 64];
        in_last = mode[2*i +: 2] != 2'd0 && (last & ~mask[64*i +: 64]) == lo[64*i +: 64];
      end
      if (!decided && (in_first || in_last)) begin
        decided = 1'b1;
        if (!(in_first && in_last)) perm = 3'b000;
        else if (prv == dvc_pkg::PRV_M && !cfg[8*i+7]) perm = 3'b111;
        else perm = {cfg[8*i+2], cfg[8*i+1], cfg[8*i]};
      end
    end
  end
endmodule
