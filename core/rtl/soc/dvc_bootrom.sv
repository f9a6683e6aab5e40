// dvc_bootrom: the boot ROM at 0x1000 (docs/spec/platform.md "Boot"), the reset vector of
// every hart, with QEMU virt's layout (as dvsim's boot_rom.rs):
//
//   0x1000: auipc t0, 0        0x1004: csrr a0, mhartid    0x1008: ld a1, 32(t0)
//   0x100c: ld t0, 24(t0)      0x1010: jr t0               0x1018: .dword start
//   0x1020: .dword fdt         the rest of the 4 KiB window reads zero
//
// `start` and `fdt` are straps set by whoever builds the machine (the FDT's address depends on
// the RAM size). Reads of any size; writes are refused.
module dvc_bootrom (
  input  logic [63:0] start,
  input  logic [63:0] fdt,
  input  logic [11:0] offset,
  output logic [63:0] rdata          // the 8 bytes from `offset`, zero beyond the window
);
  logic [63:0] word;
  always_comb begin
    unique case (offset[11:3])
      9'd0: word = 64'hf140_2573_0000_0297;
      9'd1: word = 64'h0182_b283_0202_b583;
      9'd2: word = 64'h0000_0000_0002_8067;
      9'd3: word = start;
      9'd4: word = fdt;
      default: word = 64'd0;
    endcase
  end
  // Accesses are naturally aligned, so an access never spans two words.
  assign rdata = word >> {offset[2:0], 3'b000};
endmodule
