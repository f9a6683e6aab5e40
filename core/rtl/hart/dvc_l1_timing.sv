// dvc_l1_timing: the tag side of an L1 cache, used as the timing model of the hart's
// instruction and data caches (docs/core.md "Memory system").
//
// Data always comes from the memory behind the SoC port, so the caches are coherent by
// construction; what this module keeps is which lines an L1 of SETS x WAYS x LINE bytes would
// hold (write-allocate, write-back: a dirty bit per line), so the hart can charge a hit or a
// miss latency. A lookup allocates on a miss (round-robin victim per set) and reports whether
// the victim was dirty (a write-back to pay for). `flush` drops every line (FENCE.I for the
// instruction cache).
module dvc_l1_timing #(
  parameter int SETS = 64,
  parameter int WAYS = 4,
  parameter int LINE = 64
) (
  input  logic        clk,
  input  logic        rst,
  input  logic        flush,
  input  logic        lookup,     // a cacheable access starts this cycle
  input  logic [63:$clog2(LINE)] addr,   // the line address
  input  logic        write,      // the access writes (marks the line dirty)
  output logic        hit,
  output logic        victim_dirty
);
  localparam int OW = $clog2(LINE);
  localparam int SW = SETS > 1 ? $clog2(SETS) : 1;
  localparam int WW = WAYS > 1 ? $clog2(WAYS) : 1;
  localparam int TW = 64 - OW - $clog2(SETS);

  // valid/dirty bit of set s, way w at [s*WAYS + w]; round-robin victim of set s at [s*WW +: WW].
  logic [SETS*WAYS-1:0] valid, dirty;
  logic [SETS*WW-1:0]   next;
  logic [TW-1:0]        tags [SETS][WAYS];

  logic [SW-1:0] set;
  logic [TW-1:0] tag;
  logic [WW-1:0] way;

  assign set = SETS > 1 ? SW'(addr[OW +: (SETS > 1 ? $clog2(SETS) : 1)]) : '0;
  assign tag = addr[63 -: TW];

  always_comb begin
    hit = 1'b0;
    way = next[set*WW +: WW];
    for (int w = 0; w < WAYS; w++) begin
      if (valid[{set, WW'(w)}] && tags[set][w] == tag) begin
        hit = 1'b1;
        way = WW'(w);
      end
    end
    victim_dirty = !hit && valid[{set, way}] && dirty[{set, way}];
  end

  always_ff @(posedge clk) begin
    if (rst || flush) begin
      valid <= '0;
      dirty <= '0;
      next <= '0;
    end else if (lookup) begin
      if (!hit) begin
        valid[{set, way}] <= 1'b1;
        tags[set][way] <= tag;
        dirty[{set, way}] <= write;
        next[set*WW +: WW] <= way == WW'(WAYS - 1) ? '0 : way + 1'b1;
      end else if (write) begin
        dirty[{set, way}] <= 1'b1;
      end
    end
  end
endmodule
