// Lemma vpmpaddr_warl (dvext.md §5.3: pmpaddr format, PA[55:2]) on dvext_csr_file.
//
// hvpmpaddr0..7 bits 63:54 are always zero. vpmp_isolation assumes it of the stage-2 checker's
// `vpmpaddrN` inputs, which the CSR file drives in dvext_top; this discharges that assumption.
// Every input is free in every cycle; no assumption.
module vpmpaddr_warl (
    input wire clock
);
    wire [63:0] a0, a1, a2, a3, a4, a5, a6, a7;

    dvext_csr_file dut (
        .clock(clock),
        .hvpmpaddr0(a0),
        .hvpmpaddr1(a1),
        .hvpmpaddr2(a2),
        .hvpmpaddr3(a3),
        .hvpmpaddr4(a4),
        .hvpmpaddr5(a5),
        .hvpmpaddr6(a6),
        .hvpmpaddr7(a7)
    );

    always @(*) assert ({a0[63:54], a1[63:54], a2[63:54], a3[63:54],
                         a4[63:54], a5[63:54], a6[63:54], a7[63:54]} == 80'd0);
endmodule
