// dvc_clint: the CLINT (`sifive,clint0`, docs/spec/platform.md) of NHARTS harts: msip (+0x0,
// 4 bytes per hart), mtimecmp (+0x4000, 8 bytes per hart) and mtime (+0xBFF8), which advances
// once every MTIME_DIV cycles (the platform's 10 MHz against a nominal 1 GHz clock). Access
// rules are dvsim's (sim/src/platform/clint.rs): msip takes 4-byte accesses only, mtimecmp and
// mtime 4 or 8 bytes, the rest of the first 64 KiB reads zero and ignores writes of 4 or 8
// bytes. From 0x10000 lies the DV-Ext mirror (dvext.md §6.3; absent with HYP = 0): vtimecmp
// (+0x10000, 8 bytes per hart), vtimectl (+0x10800, 4), vipi0..3 (+0x15000, 4 × 8) and vcpuid
// (+0x15800, 8), each taking naturally aligned 4- and 8-byte accesses (vtimectl 4-byte ones);
// the rest of the mirror window, and slots of absent harts, are refused. The per-hart registers
// live in each hart's DV-Ext CSR file and are reached through its mirror port (`mir_*`); the
// vipi words through the bitmap's own port. A 4-byte write merges into its half of the register.
module dvc_clint #(
  parameter int NHARTS = 1,
  parameter int MTIME_DIV = 100,
  parameter bit HYP = 1
) (
  input  logic        clk,
  input  logic        rst,
  // one access per cycle, performed when `sel`
  input  logic        sel,
  input  logic        we,
  input  logic [16:0] offset,
  input  logic [1:0]  size,           // log2 bytes; the access is naturally aligned
  input  logic [63:0] wdata,
  output logic        ok,             // accepted (else an access fault)
  output logic [63:0] rdata,
  // idle skip: while every hart sleeps, the harness may advance time to the next event
  input  logic        skip,
  input  logic [63:0] skip_ticks,
  output logic [63:0] next_event,     // the earliest mtimecmp after mtime (all ones: none)
  // to the harts
  output logic [NHARTS-1:0] msip,
  output logic [NHARTS-1:0] mtip,
  output logic [63:0] mtime,
  // the DV-Ext mirror: each hart's CSR file port (one register code and value for all) ...
  output logic [NHARTS-1:0]    mir_en,
  output logic [1:0]           mir_reg,
  output logic [63:0]          mir_wdata,
  input  logic [NHARTS*64-1:0] mir_rdata,
  // ... and the vIPI bitmap's mirror port (a csrrw of the merged word)
  output logic        vp_en,
  output logic [1:0]  vp_word,
  output logic [63:0] vp_operand,
  input  logic [63:0] vp_rdata
);
  logic [63:0] mtimecmp [NHARTS];
  logic [31:0] presc;

  // Which register an offset names.
  logic        in_msip, in_cmp, in_time, low;
  logic [31:0] hart;
  // msip slot: offset / 4; mtimecmp slot: (offset - 0x4000) / 8, which is offset[13:3] there.
  assign hart = offset < 17'h4000 ? 32'(offset[13:2]) : 32'(offset[13:3]);
  assign in_msip = offset < 17'(4 * NHARTS);
  assign in_cmp = offset >= 17'h4000 && offset < 17'h4000 + 17'(8 * NHARTS);
  assign in_time = offset >= 17'hbff8 && offset < 17'hc000;
  assign low = !offset[16];

  // The DV-Ext mirror's arrays (slot = hart), and the word of vipi0..3.
  logic        in_vtcmp, in_vtctl, in_vcpuid, in_vipi, in_mir;
  logic [31:0] mhart;
  assign in_vtcmp = HYP && offset >= 17'h10000 && offset < 17'h10000 + 17'(8 * NHARTS);
  assign in_vtctl = HYP && offset >= 17'h10800 && offset < 17'h10800 + 17'(4 * NHARTS);
  assign in_vcpuid = HYP && offset >= 17'h15800 && offset < 17'h15800 + 17'(8 * NHARTS);
  assign in_vipi = HYP && offset >= 17'h15000 && offset < 17'h15020;
  assign in_mir = in_vtcmp || in_vtctl || in_vcpuid;
  assign mhart = in_vtctl ? 32'(offset[10:2]) : 32'(offset[10:3]);
  assign mir_reg = in_vtctl ? 2'd1 : in_vcpuid ? 2'd2 : 2'd0;  // dvext_model::mirror::MirrorReg
  assign vp_word = offset[4:3];

  logic [63:0] mir64;
  always_comb begin
    mir64 = 64'd0;
    for (int h = 0; h < NHARTS; h++) if (mhart == 32'(h)) mir64 = mir_rdata[64*h +: 64];
  end

  logic [63:0] reg64;
  always_comb begin
    reg64 = 64'd0;
    if (in_cmp) begin
      for (int h = 0; h < NHARTS; h++) if (hart == 32'(h)) reg64 = mtimecmp[h];
    end else if (in_time) begin
      reg64 = mtime;
    end
    ok = 1'b0;
    rdata = 64'd0;
    if (offset < 17'h4000) begin
      ok = size == 2'd2;
      if (in_msip) begin
        for (int h = 0; h < NHARTS; h++) if (hart == 32'(h)) rdata = {63'd0, msip[h]};
      end
    end else if (low && size >= 2'd2) begin
      ok = 1'b1;
      if (size == 2'd3) rdata = reg64;
      else rdata = {32'd0, offset[2] ? reg64[63:32] : reg64[31:0]};
    end else if (in_vtctl) begin
      ok = size == 2'd2;
      rdata = {32'd0, mir64[31:0]};
    end else if ((in_mir || in_vipi) && size >= 2'd2) begin
      ok = 1'b1;
      if (size == 2'd3) rdata = in_vipi ? vp_rdata : mir64;
      else rdata = {32'd0, offset[2] ? (in_vipi ? vp_rdata[63:32] : mir64[63:32])
                                     : (in_vipi ? vp_rdata[31:0] : mir64[31:0])};
    end
  end

  // A 4-byte write merges into its half (as mtimecmp halves are written by 32-bit software).
  function automatic logic [63:0] merge(input logic [63:0] old, input logic half, input logic [1:0] sz,
                                        input logic [63:0] v);
    if (sz == 2'd3) merge = v;
    else if (half) merge = {v[31:0], old[31:0]};
    else merge = {old[63:32], v[31:0]};
  endfunction

  logic write;
  assign write = sel && we && ok;

  // vtimectl's 4-byte slots are always the low half of the register.
  assign mir_wdata = merge(mir64, offset[2] && !in_vtctl, size, wdata);
  assign vp_operand = merge(vp_rdata, offset[2], size, wdata);
  assign vp_en = write && in_vipi;
  for (genvar h = 0; h < NHARTS; h++) begin : g_mir
    assign mir_en[h] = write && in_mir && mhart == 32'(h);
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      msip <= '0;
      mtime <= 64'd0;
      presc <= 32'd0;
      for (int h = 0; h < NHARTS; h++) mtimecmp[h] <= {64{1'b1}};  // no timer pending at reset
    end else begin
      if (skip) begin
        presc <= 32'd0;
        mtime <= mtime + skip_ticks;
      end else if (presc == 32'(MTIME_DIV - 1)) begin
        presc <= 32'd0;
        mtime <= mtime + 64'd1;
      end else begin
        presc <= presc + 32'd1;
      end
      if (write && in_time) mtime <= merge(mtime, offset[2], size, wdata);
      for (int h = 0; h < NHARTS; h++) begin
        if (write && in_msip && hart == 32'(h)) msip[h] <= wdata[0];
        if (write && in_cmp && hart == 32'(h)) mtimecmp[h] <= merge(mtimecmp[h], offset[2], size, wdata);
      end
    end
  end

  always_comb begin
    next_event = {64{1'b1}};
    for (int h = 0; h < NHARTS; h++) begin
      mtip[h] = mtime >= mtimecmp[h];
      if (mtimecmp[h] > mtime && mtimecmp[h] < next_event) next_event = mtimecmp[h];
    end
  end
endmodule
