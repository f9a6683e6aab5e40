// dvc_rvc: expands a 16-bit RVC instruction (RV64C, unprivileged spec ch. 16) to the 32-bit
// instruction it stands for, or flags it illegal: the all-zero word, reserved encodings and the
// F/D forms (no F/D here). Mirrors dvsim's `expand_c` (sim/src/hart/decode.rs) case by case,
// hints included, so both engines accept and reject the same words.
module dvc_rvc (
  input  logic [15:0] c,
  output logic [31:0] insn,
  output logic        illegal
);
  logic [2:0]  f3;
  logic [4:0]  rd, rs2, rdp, rs1p;
  logic [11:0] ci;       // CI-format signed 6-bit immediate, sign-extended to 12 bits
  logic [5:0]  shamt;

  assign f3 = c[15:13];
  assign rd = c[11:7];
  assign rs2 = c[6:2];
  assign rdp = {2'b01, c[4:2]};
  assign rs1p = {2'b01, c[9:7]};
  assign ci = {{7{c[12]}}, c[6:2]};
  assign shamt = {c[12], c[6:2]};

  // 32-bit encoders (I, S, B, J and R formats).
  function automatic logic [31:0] enc_i(input logic [11:0] imm, input logic [4:0] r1,
                                        input logic [2:0] fn3, input logic [4:0] rdst, input logic [6:0] op);
    enc_i = {imm, r1, fn3, rdst, op};
  endfunction
  function automatic logic [31:0] enc_s(input logic [11:0] imm, input logic [4:0] r2, input logic [4:0] r1,
                                        input logic [2:0] fn3, input logic [6:0] op);
    enc_s = {imm[11:5], r2, r1, fn3, imm[4:0], op};
  endfunction
  function automatic logic [31:0] enc_b(input logic [12:1] off, input logic [4:0] r1, input logic [2:0] fn3);
    enc_b = {off[12], off[10:5], 5'd0, r1, fn3, off[4:1], off[11], 7'b1100011};
  endfunction
  function automatic logic [31:0] enc_r(input logic [6:0] fn7, input logic [4:0] r2, input logic [4:0] r1,
                                        input logic [2:0] fn3, input logic [4:0] rdst, input logic [6:0] op);
    enc_r = {fn7, r2, r1, fn3, rdst, op};
  endfunction

  logic [11:0] addi4spn_imm, lw_imm, ld_imm, lwsp_imm, ldsp_imm, swsp_imm, sdsp_imm;
  logic [11:0] addi16sp_imm;
  logic [12:1] b_off;
  logic [20:1] j_off;

  assign addi4spn_imm = {2'b00, c[10:7], c[12:11], c[5], c[6], 2'b00};
  assign lw_imm   = {5'd0, c[5], c[12:10], c[6], 2'b00};
  assign ld_imm   = {4'd0, c[6:5], c[12:10], 3'b000};
  assign lwsp_imm = {4'd0, c[3:2], c[12], c[6:4], 2'b00};
  assign ldsp_imm = {3'd0, c[4:2], c[12], c[6:5], 3'b000};
  assign swsp_imm = {4'd0, c[8:7], c[12:9], 2'b00};
  assign sdsp_imm = {3'd0, c[9:7], c[12:10], 3'b000};
  assign addi16sp_imm = {{3{c[12]}}, c[4:3], c[5], c[2], c[6], 4'b0000};
  assign b_off = {{5{c[12]}}, c[6:5], c[2], c[11:10], c[4:3]};
  assign j_off = {{10{c[12]}}, c[8], c[10:9], c[6], c[7], c[2], c[11], c[5:3]};

  always_comb begin
    insn = 32'd0;
    illegal = 1'b0;
    unique case ({c[1:0], f3})
      // Quadrant 0.
      5'b00_000: begin  // C.ADDI4SPN (nzuimm = 0 is reserved; covers the all-zero word)
        insn = enc_i(addi4spn_imm, 5'd2, 3'd0, rdp, 7'h13);
        illegal = addi4spn_imm == 12'd0;
      end
      5'b00_010: insn = enc_i(lw_imm, rs1p, 3'd2, rdp, 7'h03);   // C.LW
      5'b00_011: insn = enc_i(ld_imm, rs1p, 3'd3, rdp, 7'h03);   // C.LD
      5'b00_110: insn = enc_s(lw_imm, rdp, rs1p, 3'd2, 7'h23);   // C.SW
      5'b00_111: insn = enc_s(ld_imm, rdp, rs1p, 3'd3, 7'h23);   // C.SD
      // Quadrant 1.
      5'b01_000: insn = enc_i(ci, rd, 3'd0, rd, 7'h13);          // C.ADDI / C.NOP / hints
      5'b01_001: begin                                            // C.ADDIW
        insn = enc_i(ci, rd, 3'd0, rd, 7'h1b);
        illegal = rd == 5'd0;
      end
      5'b01_010: insn = enc_i(ci, 5'd0, 3'd0, rd, 7'h13);        // C.LI
      5'b01_011: begin
        if (rd == 5'd2) begin                                     // C.ADDI16SP
          insn = enc_i(addi16sp_imm, 5'd2, 3'd0, 5'd2, 7'h13);
          illegal = addi16sp_imm == 12'd0;
        end else begin                                            // C.LUI
          insn = {{8{ci[11]}}, ci, rd, 7'h37};
          illegal = ci == 12'd0;
        end
      end
      5'b01_100: begin
        unique case (c[11:10])
          2'b00: insn = enc_i({6'd0, shamt}, rs1p, 3'd5, rs1p, 7'h13);          // C.SRLI
          2'b01: insn = enc_i({6'b010000, shamt}, rs1p, 3'd5, rs1p, 7'h13);     // C.SRAI
          2'b10: insn = enc_i(ci, rs1p, 3'd7, rs1p, 7'h13);                     // C.ANDI
          default: begin
            unique case ({c[12], c[6:5]})
              3'b000: insn = enc_r(7'h20, rdp, rs1p, 3'd0, rs1p, 7'h33);  // C.SUB
              3'b001: insn = enc_r(7'h00, rdp, rs1p, 3'd4, rs1p, 7'h33);  // C.XOR
              3'b010: insn = enc_r(7'h00, rdp, rs1p, 3'd6, rs1p, 7'h33);  // C.OR
              3'b011: insn = enc_r(7'h00, rdp, rs1p, 3'd7, rs1p, 7'h33);  // C.AND
              3'b100: insn = enc_r(7'h20, rdp, rs1p, 3'd0, rs1p, 7'h3b);  // C.SUBW
              3'b101: insn = enc_r(7'h00, rdp, rs1p, 3'd0, rs1p, 7'h3b);  // C.ADDW
              default: illegal = 1'b1;
            endcase
          end
        endcase
      end
      5'b01_101: insn = {j_off[20], j_off[10:1], j_off[11], j_off[19:12], 5'd0, 7'h6f};  // C.J
      5'b01_110: insn = enc_b(b_off, rs1p, 3'd0);                 // C.BEQZ
      5'b01_111: insn = enc_b(b_off, rs1p, 3'd1);                 // C.BNEZ
      // Quadrant 2.
      5'b10_000: insn = enc_i({6'd0, shamt}, rd, 3'd1, rd, 7'h13);  // C.SLLI
      5'b10_010: begin                                            // C.LWSP
        insn = enc_i(lwsp_imm, 5'd2, 3'd2, rd, 7'h03);
        illegal = rd == 5'd0;
      end
      5'b10_011: begin                                            // C.LDSP
        insn = enc_i(ldsp_imm, 5'd2, 3'd3, rd, 7'h03);
        illegal = rd == 5'd0;
      end
      5'b10_100: begin
        if (!c[12]) begin
          if (rs2 == 5'd0) begin                                  // C.JR
            insn = enc_i(12'd0, rd, 3'd0, 5'd0, 7'h67);
            illegal = rd == 5'd0;
          end else begin                                          // C.MV
            insn = enc_r(7'd0, rs2, 5'd0, 3'd0, rd, 7'h33);
          end
        end else if (rs2 == 5'd0) begin
          if (rd == 5'd0) insn = 32'h0010_0073;                   // C.EBREAK
          else insn = enc_i(12'd0, rd, 3'd0, 5'd1, 7'h67);        // C.JALR
        end else begin                                            // C.ADD
          insn = enc_r(7'd0, rs2, rd, 3'd0, rd, 7'h33);
        end
      end
      5'b10_110: insn = enc_s(swsp_imm, rs2, 5'd2, 3'd2, 7'h23);  // C.SWSP
      5'b10_111: insn = enc_s(sdsp_imm, rs2, 5'd2, 3'd3, 7'h23);  // C.SDSP
      default: illegal = 1'b1;  // C.FLD/FSD/FLDSP/FSDSP, reserved, and 32-bit words
    endcase
  end
endmodule
