// Property vtimer_irq_legal (dvext.md §6.1, §2 vtimectl WARL, §10.4) on dvext_csr_file.
//
// vtimectl.IRQ (bits 6:1) only ever holds 4, 6 or 16, or its reset value 0 (which drives no
// interrupt, docs/interpretations.md 8), and so the bits DV-Ext drives into mip (`mip_dv`) are
// only ever the U-level and VS bits {0 USI, 4 UTI, 6 VSTI, 8 UEI, 16 UVTI}: never a machine or
// supervisor interrupt (bits 1, 3, 5, 7, 9, 11), whatever the sequence and whatever `mtime` does.
//
// Every input is free in every cycle; no assumption. `vtimectl_q` is the vtimectl register
// itself, connected by the runner (`tap`), so that the invariant is about the state.
module vtimer_irq_legal (
    input wire clock
);
    wire [63:0] mip_dv;
    (* tap = "dut.r_vtimectl__q" *) wire [63:0] vtimectl_q;

    dvext_csr_file dut (
        .clock(clock),
        .mip_dv(mip_dv)
    );

    wire [5:0] irq = vtimectl_q[6:1];
    localparam [63:0] DV_BITS = (64'd1 << 0) | (64'd1 << 4) | (64'd1 << 6) | (64'd1 << 8) | (64'd1 << 16);

    always @(*) begin
        assert (irq == 6'd0 || irq == 6'd4 || irq == 6'd6 || irq == 6'd16);
        assert ((mip_dv & ~DV_BITS) == 64'd0);
    end
endmodule
