// dvc_muldiv: the M extension (unprivileged spec ch. 7) for the execute stage.
//
// Multiplication is one 64x64 multiplier whose product is registered when the operation starts
// and used MUL_CYCLES (at least 2) cycles after the instruction entered execute (a multicycle
// path), so its latency is a parameter comparable with Rocket's iterative multiplier. Division is a radix-2
// restoring divider, one quotient bit per cycle: 64 steps, or 32 for the W forms, after a
// cycle that loads the operands. Division by zero finishes at once with the results the spec
// defines (quotient all ones, remainder the dividend); signed overflow (MIN / -1) falls out of
// the magnitude algorithm (quotient MIN, remainder 0).
//
// Protocol: `start` is held while execute holds a MUL/DIV whose operands are ready; `done`
// rises when the result is valid and stays until `advance` (the instruction leaves execute)
// or `kill` (it is flushed).
module dvc_muldiv #(
  parameter int MUL_CYCLES = 4
) (
  input  logic        clk,
  input  logic        rst,
  input  logic        start,
  input  logic        advance,
  input  logic        kill,
  input  logic        is_div,    // DIV/DIVU/REM/REMU, else MUL/MULH/MULHSU/MULHU
  input  logic [2:0]  funct3,
  input  logic        w32,
  input  logic [63:0] a,
  input  logic [63:0] b,
  output logic        done,
  output logic [63:0] result
);
  typedef enum logic [1:0] { IDLE = 2'd0, BUSY = 2'd1, DONE = 2'd2 } state_e;
  state_e state;
  logic [6:0] count;

  // ---- multiplier -------------------------------------------------------------------------
  // The product is computed when the operation starts and held for the result.
  logic         a_signed, b_signed;
  logic [63:0]  a_mag, b_mag;
  logic [127:0] prod_q;
  logic [63:0]  mul_res;

  // MULH: both operands signed; MULHSU: a signed; MULHU: neither (funct3 1, 2, 3).
  assign a_signed = funct3 == 3'd1 || funct3 == 3'd2;
  assign b_signed = funct3 == 3'd1;
  assign a_mag = a_signed && a[63] ? -a : a;
  assign b_mag = b_signed && b[63] ? -b : b;
  assign mul_res = funct3 == 3'd0 ? (w32 ? dvc_pkg::sext32(prod_q[31:0]) : prod_q[63:0]) : prod_q[127:64];

  // ---- divider ----------------------------------------------------------------------------
  logic        div_signed, div_rem;
  logic [63:0] n_ext, d_ext, n_mag, d_mag;
  logic        n_neg, d_neg;
  logic [63:0] rem_q, quo_q, dvs_q;   // partial remainder, dividend/quotient shift register, divisor
  logic        q_neg_q, r_neg_q;
  logic [63:0] q_fin, r_fin, div_res, div0_res;

  assign div_signed = !funct3[0];     // DIV (4) and REM (6) are signed
  assign div_rem = funct3[1];         // REM, REMU
  assign n_ext = w32 ? (div_signed ? dvc_pkg::sext32(a[31:0]) : {32'd0, a[31:0]}) : a;
  assign d_ext = w32 ? (div_signed ? dvc_pkg::sext32(b[31:0]) : {32'd0, b[31:0]}) : b;
  assign n_neg = div_signed && n_ext[63];
  assign d_neg = div_signed && d_ext[63];
  assign n_mag = n_neg ? -n_ext : n_ext;
  assign d_mag = d_neg ? -d_ext : d_ext;

  assign q_fin = q_neg_q ? -quo_q : quo_q;
  assign r_fin = r_neg_q ? -rem_q : rem_q;
  assign div_res = div_rem ? r_fin : q_fin;
  assign div0_res = div_rem ? n_ext : {64{1'b1}};

  always_ff @(posedge clk) begin
    logic [64:0] trial;
    if (rst || kill) begin
      state <= IDLE;
      count <= 7'd0;
    end else begin
      unique case (state)
        IDLE: if (start) begin
          if (is_div) begin
            rem_q <= 64'd0;
            quo_q <= w32 ? {n_mag[31:0], 32'd0} : n_mag;
            dvs_q <= d_mag;
            q_neg_q <= n_neg ^ d_neg;
            r_neg_q <= n_neg;
            count <= w32 ? 7'd32 : 7'd64;
            state <= d_ext == 64'd0 ? DONE : BUSY;
          end else begin
            logic [127:0] p;
            p = {64'd0, a_mag} * {64'd0, b_mag};
            prod_q <= (a_signed && a[63]) ^ (b_signed && b[63]) ? -p : p;
            count <= 7'(MUL_CYCLES - 2);
            state <= MUL_CYCLES <= 2 ? DONE : BUSY;
          end
        end
        BUSY: begin
          if (is_div) begin
            trial = {rem_q, quo_q[63]} - {1'b0, dvs_q};
            if (!trial[64]) begin
              rem_q <= trial[63:0];
              quo_q <= {quo_q[62:0], 1'b1};
            end else begin
              rem_q <= {rem_q[62:0], quo_q[63]};
              quo_q <= {quo_q[62:0], 1'b0};
            end
          end
          count <= count - 7'd1;
          if (count == 7'd1) state <= DONE;
        end
        default: if (advance) state <= IDLE;  // DONE
      endcase
    end
  end

  assign done = state == DONE;
  always_comb begin
    if (!is_div) result = mul_res;
    else if (d_ext == 64'd0) result = w32 ? dvc_pkg::sext32(div0_res[31:0]) : div0_res;
    else result = w32 ? dvc_pkg::sext32(div_res[31:0]) : div_res;
  end
endmodule
