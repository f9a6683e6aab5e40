// dvc_decode: a 32-bit instruction (compressed ones arrive expanded) to the control bundle of
// dvc_pkg::ctrl_t. RV64IMA + Zicsr + Zifencei + the M/S privileged instructions; every other
// encoding, and the reserved field values below, is illegal, exactly as dvsim's decoder
// (sim/src/hart/decode.rs) has it, so the two agree on which words trap.
//
// Legality here is static (the encoding alone). What depends on privilege or CSR state (xRET,
// WFI, SFENCE.VMA, CSR accesses) is decided at the commit point, in dvc_csr.
module dvc_decode #(
  parameter bit HYP = 1      // the H extension and DV-Ext: their instructions decode
) (
  input  logic [31:0]      insn,
  output dvc_pkg::ctrl_t   ctrl
);
  logic [4:0] opc;
  logic [2:0] f3;
  logic [6:0] f7;
  logic [4:0] rd, rs1, rs2;
  logic [63:0] imm_i, imm_s, imm_b, imm_u, imm_j;

  assign opc = insn[6:2];
  assign f3  = insn[14:12];
  assign f7  = insn[31:25];
  assign rd  = insn[11:7];
  assign rs1 = insn[19:15];
  assign rs2 = insn[24:20];
  assign imm_i = {{52{insn[31]}}, insn[31:20]};
  assign imm_s = {{52{insn[31]}}, insn[31:25], insn[11:7]};
  assign imm_b = {{51{insn[31]}}, insn[31], insn[7], insn[30:25], insn[11:8], 1'b0};
  assign imm_u = {{32{insn[31]}}, insn[31:12], 12'b0};
  assign imm_j = {{43{insn[31]}}, insn[31], insn[19:12], insn[20], insn[30:21], 1'b0};

  always_comb begin
    ctrl = '0;
    ctrl.fu = dvc_pkg::FU_ALU;
    ctrl.alu = dvc_pkg::ALU_ADD;
    ctrl.mem = dvc_pkg::MEM_LOAD;
    ctrl.amo = dvc_pkg::AMO_SWAP;
    ctrl.sys = dvc_pkg::SYS_ECALL;
    ctrl.rs1 = rs1;
    ctrl.rs2 = rs2;
    ctrl.rd = rd;
    ctrl.funct3 = f3;
    if (insn[1:0] == 2'b11) begin
      unique case (opc)
        dvc_pkg::OPC_LUI: begin
          ctrl.legal = 1'b1; ctrl.alu = dvc_pkg::ALU_B; ctrl.b_imm = 1'b1; ctrl.imm = imm_u;
          ctrl.rd_en = 1'b1;
        end
        dvc_pkg::OPC_AUIPC: begin
          ctrl.legal = 1'b1; ctrl.a_pc = 1'b1; ctrl.b_imm = 1'b1; ctrl.imm = imm_u; ctrl.rd_en = 1'b1;
        end
        dvc_pkg::OPC_JAL: begin
          ctrl.legal = 1'b1; ctrl.fu = dvc_pkg::FU_JAL; ctrl.imm = imm_j; ctrl.rd_en = 1'b1;
        end
        dvc_pkg::OPC_JALR: begin
          ctrl.legal = f3 == 3'd0; ctrl.fu = dvc_pkg::FU_JALR; ctrl.imm = imm_i; ctrl.b_imm = 1'b1;
          ctrl.rs1_en = 1'b1; ctrl.rd_en = 1'b1;
        end
        dvc_pkg::OPC_BRANCH: begin
          ctrl.legal = f3 != 3'd2 && f3 != 3'd3; ctrl.fu = dvc_pkg::FU_BRANCH; ctrl.imm = imm_b;
          ctrl.rs1_en = 1'b1; ctrl.rs2_en = 1'b1;
        end
        dvc_pkg::OPC_LOAD: begin
          ctrl.legal = f3 != 3'd7; ctrl.fu = dvc_pkg::FU_MEM; ctrl.mem = dvc_pkg::MEM_LOAD;
          ctrl.imm = imm_i; ctrl.rs1_en = 1'b1; ctrl.rd_en = 1'b1;
        end
        dvc_pkg::OPC_STORE: begin
          ctrl.legal = !f3[2]; ctrl.fu = dvc_pkg::FU_MEM; ctrl.mem = dvc_pkg::MEM_STORE;
          ctrl.imm = imm_s; ctrl.rs1_en = 1'b1; ctrl.rs2_en = 1'b1;
        end
        dvc_pkg::OPC_OP_IMM: begin
          ctrl.b_imm = 1'b1; ctrl.imm = imm_i; ctrl.rs1_en = 1'b1; ctrl.rd_en = 1'b1;
          unique case (f3)
            3'd0: begin ctrl.legal = 1'b1; ctrl.alu = dvc_pkg::ALU_ADD; end
            3'd2: begin ctrl.legal = 1'b1; ctrl.alu = dvc_pkg::ALU_SLT; end
            3'd3: begin ctrl.legal = 1'b1; ctrl.alu = dvc_pkg::ALU_SLTU; end
            3'd4: begin ctrl.legal = 1'b1; ctrl.alu = dvc_pkg::ALU_XOR; end
            3'd6: begin ctrl.legal = 1'b1; ctrl.alu = dvc_pkg::ALU_OR; end
            3'd7: begin ctrl.legal = 1'b1; ctrl.alu = dvc_pkg::ALU_AND; end
            3'd1: begin ctrl.legal = insn[31:26] == 6'd0; ctrl.alu = dvc_pkg::ALU_SLL; end
            default: begin  // 5: SRLI / SRAI
              ctrl.legal = insn[31:26] == 6'd0 || insn[31:26] == 6'b010000;
              ctrl.alu = insn[30] ? dvc_pkg::ALU_SRA : dvc_pkg::ALU_SRL;
            end
          endcase
        end
        dvc_pkg::OPC_OP_IMM32: begin
          ctrl.b_imm = 1'b1; ctrl.imm = imm_i; ctrl.rs1_en = 1'b1; ctrl.rd_en = 1'b1; ctrl.w32 = 1'b1;
          unique case (f3)
            3'd0: begin ctrl.legal = 1'b1; ctrl.alu = dvc_pkg::ALU_ADD; end
            3'd1: begin ctrl.legal = f7 == 7'd0; ctrl.alu = dvc_pkg::ALU_SLL; end
            3'd5: begin
              ctrl.legal = f7 == 7'd0 || f7 == 7'b0100000;
              ctrl.alu = insn[30] ? dvc_pkg::ALU_SRA : dvc_pkg::ALU_SRL;
            end
            default: ctrl.legal = 1'b0;
          endcase
        end
        dvc_pkg::OPC_OP, dvc_pkg::OPC_OP32: begin
          ctrl.rs1_en = 1'b1; ctrl.rs2_en = 1'b1; ctrl.rd_en = 1'b1;
          ctrl.w32 = opc == dvc_pkg::OPC_OP32;
          if (f7 == 7'b0000001) begin
            // M extension: MUL* are f3 0-3, DIV/REM f3 4-7; the W forms exist for 0, 4-7.
            ctrl.fu = f3[2] ? dvc_pkg::FU_DIV : dvc_pkg::FU_MUL;
            ctrl.legal = !ctrl.w32 || f3 == 3'd0 || f3[2];
          end else begin
            unique case (f3)
              3'd0: begin
                ctrl.legal = f7 == 7'd0 || f7 == 7'b0100000;
                ctrl.alu = insn[30] ? dvc_pkg::ALU_SUB : dvc_pkg::ALU_ADD;
              end
              3'd1: begin ctrl.legal = f7 == 7'd0; ctrl.alu = dvc_pkg::ALU_SLL; end
              3'd5: begin
                ctrl.legal = f7 == 7'd0 || f7 == 7'b0100000;
                ctrl.alu = insn[30] ? dvc_pkg::ALU_SRA : dvc_pkg::ALU_SRL;
              end
              3'd2: begin ctrl.legal = f7 == 7'd0 && !ctrl.w32; ctrl.alu = dvc_pkg::ALU_SLT; end
              3'd3: begin ctrl.legal = f7 == 7'd0 && !ctrl.w32; ctrl.alu = dvc_pkg::ALU_SLTU; end
              3'd4: begin ctrl.legal = f7 == 7'd0 && !ctrl.w32; ctrl.alu = dvc_pkg::ALU_XOR; end
              3'd6: begin ctrl.legal = f7 == 7'd0 && !ctrl.w32; ctrl.alu = dvc_pkg::ALU_OR; end
              default: begin ctrl.legal = f7 == 7'd0 && !ctrl.w32; ctrl.alu = dvc_pkg::ALU_AND; end
            endcase
          end
        end
        dvc_pkg::OPC_MISC_MEM: begin
          ctrl.fu = dvc_pkg::FU_SYS;
          ctrl.legal = f3 == 3'd0 || f3 == 3'd1;
          ctrl.sys = f3 == 3'd1 ? dvc_pkg::SYS_FENCEI : dvc_pkg::SYS_FENCE;
        end
        dvc_pkg::OPC_AMO: begin
          ctrl.fu = dvc_pkg::FU_MEM; ctrl.rs1_en = 1'b1; ctrl.rd_en = 1'b1;
          ctrl.legal = f3 == 3'd2 || f3 == 3'd3;
          ctrl.mem = dvc_pkg::MEM_AMO;
          ctrl.rs2_en = 1'b1;
          unique case (insn[31:27])
            5'b00010: begin ctrl.mem = dvc_pkg::MEM_LR; ctrl.rs2_en = 1'b0; ctrl.legal = ctrl.legal && rs2 == 5'd0; end
            5'b00011: ctrl.mem = dvc_pkg::MEM_SC;
            5'b00001: ctrl.amo = dvc_pkg::AMO_SWAP;
            5'b00000: ctrl.amo = dvc_pkg::AMO_ADD;
            5'b00100: ctrl.amo = dvc_pkg::AMO_XOR;
            5'b01100: ctrl.amo = dvc_pkg::AMO_AND;
            5'b01000: ctrl.amo = dvc_pkg::AMO_OR;
            5'b10000: ctrl.amo = dvc_pkg::AMO_MIN;
            5'b10100: ctrl.amo = dvc_pkg::AMO_MAX;
            5'b11000: ctrl.amo = dvc_pkg::AMO_MINU;
            5'b11100: ctrl.amo = dvc_pkg::AMO_MAXU;
            default: ctrl.legal = 1'b0;
          endcase
        end
        dvc_pkg::OPC_SYSTEM: begin
          if (f3 == 3'd0) begin
            ctrl.fu = dvc_pkg::FU_SYS;
            ctrl.legal = rd == 5'd0;
            unique case (insn)
              32'h0000_0073: ctrl.sys = dvc_pkg::SYS_ECALL;
              32'h0010_0073: ctrl.sys = dvc_pkg::SYS_EBREAK;
              32'h3020_0073: ctrl.sys = dvc_pkg::SYS_MRET;
              32'h1020_0073: ctrl.sys = dvc_pkg::SYS_SRET;
              32'h1050_0073: ctrl.sys = dvc_pkg::SYS_WFI;
              32'h0020_0073: begin ctrl.sys = dvc_pkg::SYS_HURET; ctrl.legal = ctrl.legal && HYP; end
              default: begin
                // The fences' rs1/rs2 operands (address, ASID/VMID) are ignored: they flush all.
                unique case (f7)
                  7'h09: ctrl.sys = dvc_pkg::SYS_SFENCE;
                  7'h11: ctrl.sys = dvc_pkg::SYS_HFENCEV;
                  7'h31: ctrl.sys = dvc_pkg::SYS_HFENCEG;
                  7'h51: ctrl.sys = dvc_pkg::SYS_HUFENCEV;
                  7'h71: ctrl.sys = dvc_pkg::SYS_HUFENCEG;
                  default: ctrl.legal = 1'b0;
                endcase
                if (f7 != 7'h09 && !HYP) ctrl.legal = 1'b0;
              end
            endcase
          end else if (f3 == 3'd4) begin
            // HLV/HLVX/HSV (H spec 8.3.1) and DV-Ext's hulv/hulvx/husv (funct7 bit 6 set, the
            // same operations, dvext.md §4): memory operations whose legality and translation
            // context the commit point and the MMU decide. funct3 is re-encoded as a load's.
            ctrl.fu = dvc_pkg::FU_MEM;
            ctrl.hyp = 1'b1;
            ctrl.rs1_en = 1'b1;
            ctrl.legal = HYP;
            unique case ({f7[5:0] & 6'h3f, rs2})
              {6'h30, 5'd0}: ctrl.funct3 = 3'd0;                          // hlv.b
              {6'h30, 5'd1}: ctrl.funct3 = 3'd4;                          // hlv.bu
              {6'h32, 5'd0}: ctrl.funct3 = 3'd1;                          // hlv.h
              {6'h32, 5'd1}: ctrl.funct3 = 3'd5;                          // hlv.hu
              {6'h32, 5'd3}: begin ctrl.funct3 = 3'd5; ctrl.hlvx = 1'b1; end  // hlvx.hu
              {6'h34, 5'd0}: ctrl.funct3 = 3'd2;                          // hlv.w
              {6'h34, 5'd1}: ctrl.funct3 = 3'd6;                          // hlv.wu
              {6'h34, 5'd3}: begin ctrl.funct3 = 3'd6; ctrl.hlvx = 1'b1; end  // hlvx.wu
              {6'h36, 5'd0}: ctrl.funct3 = 3'd3;                          // hlv.d
              default: begin
                // hsv.b/h/w/d: funct7 0x31/0x33/0x35/0x37, rd = 0, rs2 the data.
                ctrl.mem = dvc_pkg::MEM_STORE;
                ctrl.rs2_en = 1'b1;
                ctrl.funct3 = {1'b0, f7[2:1]};
                ctrl.legal = HYP && f7[0] && f7[5:3] == 3'b110 && rd == 5'd0;
              end
            endcase
            ctrl.rd_en = ctrl.mem == dvc_pkg::MEM_LOAD;
          end else begin
            // CSR instructions.
            ctrl.fu = dvc_pkg::FU_CSR;
            ctrl.legal = 1'b1;
            ctrl.rs1_en = !f3[2];
            ctrl.rd_en = 1'b1;
            ctrl.imm = {59'd0, rs1};  // uimm for the immediate forms
          end
        end
        default: ctrl.legal = 1'b0;
      endcase
    end
    if (rd == 5'd0) ctrl.rd_en = 1'b0;
    if (!ctrl.legal) begin
      ctrl.rs1_en = 1'b0;
      ctrl.rs2_en = 1'b0;
      ctrl.rd_en = 1'b0;
    end
  end
endmodule
