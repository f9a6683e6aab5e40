// dvc_plic: the PLIC (`sifive,plic-1.0.0`, docs/spec/platform.md) with NDEV level-triggered
// sources and two contexts per hart (hart h's M-mode is context 2h, its S-mode 2h+1), register
// for register as dvsim's (sim/src/platform/plic.rs): 3-bit priorities at 4 x source, the
// pending word at 0x1000, enables at 0x2000 + 0x80 x context, threshold at 0x200000 +
// 0x1000 x context and claim/complete 4 bytes later. 32-bit accesses only; unimplemented
// registers read zero and ignore writes. The gateway latches a source as pending while its
// line is high and it is not in flight; a claim clears pending and puts it in flight; the
// completion (only by a context that has it enabled) ends the flight.
module dvc_plic #(
  parameter int NHARTS = 1,
  parameter int NDEV = 31
) (
  input  logic        clk,
  input  logic        rst,
  output logic        ready,          // accesses are taken this cycle (else retried)
  input  logic        sel,            // an access is performed this cycle
  input  logic        we,
  input  logic [25:0] offset,
  input  logic [1:0]  size,
  input  logic [31:0] wdata,
  output logic        ok,
  output logic [31:0] rdata,
  input  logic [NDEV:1] irq,          // source levels
  output logic [NHARTS-1:0] meip,
  output logic [NHARTS-1:0] seip
);
  localparam int NCTX = 2 * NHARTS;

  logic [2:0]    prio      [NDEV+1];
  logic [NDEV:1] pending, in_flight;
  logic [NDEV:1] enable    [NCTX];
  logic [2:0]    threshold [NCTX];

  // The best source of each context: highest priority above the threshold, ties to the lowest
  // id. Registered (one cycle of notification latency, as a PLIC's gateway has) and recomputed
  // only after something it depends on changed.
  logic [4:0]    best [NCTX];
  logic          dirty;
  logic [NDEV:1] irq_prev;
  always_ff @(posedge clk) begin
    irq_prev <= irq;
    if (rst) begin
      for (int c = 0; c < NCTX; c++) best[c] <= 5'd0;
    end else if (dirty) begin
      for (int c = 0; c < NCTX; c++) begin
        logic [2:0] bp;
        logic [4:0] b;
        b = 5'd0;
        bp = 3'd0;
        for (int s = 1; s <= NDEV; s++) begin
          if (pending[s] && enable[c][s] && prio[s] > threshold[c] && prio[s] > bp) begin
            b = 5'(s);
            bp = prio[s];
          end
        end
        best[c] <= b;
      end
    end
  end
  always_comb begin
    for (int h = 0; h < NHARTS; h++) begin
      meip[h] = best[2*h] != 5'd0;
      seip[h] = best[2*h+1] != 5'd0;
    end
  end

  // Decode.
  logic        r_prio, r_pend, r_en, r_ctx, r_thr, r_claim;
  logic [31:0] en_ctx, cx;
  logic [25:7] en_off;
  logic [25:12] cx_off;
  assign r_prio = offset < 26'h1000;
  assign r_pend = offset == 26'h1000;
  assign r_en = offset >= 26'h2000 && offset < 26'h20_0000;
  assign r_ctx = offset >= 26'h20_0000;
  assign en_off = offset[25:7] - 19'h40;       // (offset - 0x2000) / 0x80
  assign cx_off = offset[25:12] - 14'h200;     // (offset - 0x200000) / 0x1000
  assign en_ctx = 32'(en_off);
  assign cx = 32'(cx_off);
  assign r_thr = r_ctx && cx < 32'(NCTX) && offset[11:0] == 12'h000;
  assign r_claim = r_ctx && cx < 32'(NCTX) && offset[11:0] == 12'h004;

  always_comb begin
    ok = size == 2'd2;
    rdata = 32'd0;
    if (r_prio) begin
      for (int s = 1; s <= NDEV; s++) if (offset[11:2] == 10'(s)) rdata = {29'd0, prio[s]};
    end else if (r_pend) begin
      rdata = {pending, 1'b0};
    end else if (r_en && offset[6:0] == 7'd0) begin
      for (int c = 0; c < NCTX; c++) if (en_ctx == 32'(c)) rdata = {enable[c], 1'b0};
    end else if (r_thr || r_claim) begin
      for (int c = 0; c < NCTX; c++) begin
        if (cx == 32'(c)) rdata = r_thr ? {29'd0, threshold[c]} : {27'd0, best[c]};
      end
    end
  end

  logic do_write, do_claim;
  assign do_write = sel && ok && we;
  assign do_claim = sel && ok && !we && r_claim;

  always_ff @(posedge clk) begin
    if (rst) begin
      pending <= '0;
      in_flight <= '0;
      for (int s = 0; s <= NDEV; s++) prio[s] <= 3'd0;
      for (int c = 0; c < NCTX; c++) begin
        enable[c] <= '0;
        threshold[c] <= 3'd0;
      end
    end else begin
      logic [NDEV:1] pend_n, flight_n;
      pend_n = pending | (irq & ~in_flight);
      flight_n = in_flight;
      if (do_claim) begin
        for (int c = 0; c < NCTX; c++) begin
          if (cx == 32'(c) && best[c] != 5'd0) begin
            pend_n[best[c]] = 1'b0;
            flight_n[best[c]] = 1'b1;
          end
        end
      end
      if (do_write) begin
        if (r_prio) begin
          for (int s = 1; s <= NDEV; s++) if (offset[11:2] == 10'(s)) prio[s] <= wdata[2:0];
        end else if (r_en && offset[6:0] == 7'd0) begin
          for (int c = 0; c < NCTX; c++) if (en_ctx == 32'(c)) enable[c] <= wdata[NDEV:1];
        end else if (r_thr) begin
          for (int c = 0; c < NCTX; c++) if (cx == 32'(c)) threshold[c] <= wdata[2:0];
        end else if (r_claim) begin
          // Completion: ends the flight of an enabled source; a still-high line pends again.
          for (int c = 0; c < NCTX; c++) begin
            for (int s = 1; s <= NDEV; s++) begin
              if (cx == 32'(c) && wdata == 32'(s) && enable[c][s]) begin
                flight_n[s] = 1'b0;
                if (irq[s]) pend_n[s] = 1'b1;
              end
            end
          end
        end
      end
      pending <= pend_n;
      in_flight <= flight_n;
    end
  end
  // A write or claim changes the inputs of `best` at this edge, a new line level at the next;
  // while `best` is being recomputed no access is taken, so a claim never sees a stale one.
  always_ff @(posedge clk) dirty <= rst || (sel && ok) || irq != irq_prev;
  assign ready = !dirty;
endmodule
