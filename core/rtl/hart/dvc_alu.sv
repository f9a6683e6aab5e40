// dvc_alu: the integer ALU (RV64I arithmetic, logic, shifts, comparisons). W operations
// (ADDW..SRAW and their immediate forms) work on the low 32 bits and sign-extend the result;
// shift amounts are 6 bits, or 5 for W (unprivileged spec 4.2).
module dvc_alu (
  input  dvc_pkg::alu_e op,
  input  logic          w32,
  input  logic [63:0]   a,
  input  logic [63:0]   b,
  output logic [63:0]   y
);
  logic [5:0]  shamt;
  logic [63:0] sra_in, srl_in, r;

  assign shamt = w32 ? {1'b0, b[4:0]} : b[5:0];
  // For W shifts the operand is the low word, zero- or sign-extended so that a 64-bit shift
  // of it gives the 32-bit result in the low word.
  assign srl_in = w32 ? {32'd0, a[31:0]} : a;
  assign sra_in = w32 ? dvc_pkg::sext32(a[31:0]) : a;

  always_comb begin
    unique case (op)
      dvc_pkg::ALU_ADD:  r = a + b;
      dvc_pkg::ALU_SUB:  r = a - b;
      dvc_pkg::ALU_SLL:  r = a << shamt;
      dvc_pkg::ALU_SLT:  r = {63'd0, $signed(a) < $signed(b)};
      dvc_pkg::ALU_SLTU: r = {63'd0, a < b};
      dvc_pkg::ALU_XOR:  r = a ^ b;
      dvc_pkg::ALU_SRL:  r = srl_in >> shamt;
      dvc_pkg::ALU_SRA:  r = $unsigned($signed(sra_in) >>> shamt);
      dvc_pkg::ALU_OR:   r = a | b;
      dvc_pkg::ALU_AND:  r = a & b;
      default:           r = b;  // ALU_B
    endcase
    y = w32 ? dvc_pkg::sext32(r[31:0]) : r;
  end
endmodule
