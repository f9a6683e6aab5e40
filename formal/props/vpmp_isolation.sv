// Property vpmp_isolation (dvext.md §5.3; docs/integration/stage2_check.md) on
// dvext_stage2_check.
//
// While vPMP applies, the checker faults every access that no enabled vPMP entry fully covers
// with the permission it needs: a G-stage page-table read (`pa_is_pte`: 8 bytes, needs R) or a
// final access of 1, 2, 4 or 8 bytes (`pa_size`) needing X (fetch, HLVX/HULVX), R (load) or W
// (store). With no entry enabled, everything faults.
//
// The reference is the privileged spec's PMP address matching of a byte x: TOR
// vpmpaddr(i-1) * 4 <= x < vpmpaddr(i) * 4 (entry 0 from 0), NA4 x >> 2 == vpmpaddr(i), NAPOT
// x >> 2 equal to vpmpaddr(i) above its t trailing ones and the zero after them (2^(t+3) bytes).
// Three assertions make the proof:
// * main: no entry holds both the first and the last byte with the permission => vpmp_fault;
// * lemma B: an entry holding the first and the last byte of an aligned access of at most 8
//   bytes holds every byte of it (so "first and last" is "every byte");
// * lemma C: the NAPOT mask ~(a ^ (a + 1)) is exactly "above the trailing ones and the zero".
// And one cut point: the wrapper uses the checker's own last-byte address `dut.last` (tap), and
// asserts that it equals pa + bytes - 1, which lets the solver skip re-deriving the adder
// (docs/formal.md: without it the proof does not finish in an hour).
//
// Assumptions (docs/formal.md):
// * `pa` is aligned to the access size (8 for a page-table read): the contract leaves
//   `vpmp_fault` unspecified otherwise (the core raises address-misaligned first, and PTE
//   addresses are multiples of 8).
// * vpmpaddrN bits 63:54 are zero: pmpaddr holds PA[55:2]; the CSR file's WARL mask keeps them
//   zero (property vpmpaddr_warl), and dvext_top wires the CSR file's hvpmpaddrN to the checker.
module vpmp_isolation (
    input wire [63:0] pa,
    input wire [1:0] pa_size,
    input wire pa_is_pte,
    input wire [1:0] access,
    input wire vpmp_active,
    input wire [63:0] vpmpcfg,
    input wire [63:0] vpmpaddr0,
    input wire [63:0] vpmpaddr1,
    input wire [63:0] vpmpaddr2,
    input wire [63:0] vpmpaddr3,
    input wire [63:0] vpmpaddr4,
    input wire [63:0] vpmpaddr5,
    input wire [63:0] vpmpaddr6,
    input wire [63:0] vpmpaddr7,
    input wire [63:0] napot_probe
);
    wire vpmp_fault;

    dvext_stage2_check dut (
        .pa(pa),
        .pa_size(pa_size),
        .pa_is_pte(pa_is_pte),
        .access(access),
        .vpmp_active(vpmp_active),
        .vpmpcfg(vpmpcfg),
        .vpmpaddr0(vpmpaddr0),
        .vpmpaddr1(vpmpaddr1),
        .vpmpaddr2(vpmpaddr2),
        .vpmpaddr3(vpmpaddr3),
        .vpmpaddr4(vpmpaddr4),
        .vpmpaddr5(vpmpaddr5),
        .vpmpaddr6(vpmpaddr6),
        .vpmpaddr7(vpmpaddr7),
        .vpmp_fault(vpmp_fault)
    );

    wire [511:0] addrs = {vpmpaddr7, vpmpaddr6, vpmpaddr5, vpmpaddr4,
                          vpmpaddr3, vpmpaddr2, vpmpaddr1, vpmpaddr0};

    // Bytes of the access and the permission it needs (pmpcfg bit: 0 R, 1 W, 2 X).
    wire [3:0] bytes = pa_is_pte ? 4'd8 : (4'd1 << pa_size);
    wire [1:0] need = pa_is_pte ? 2'd0 : (access == 2'd1) ? 2'd0 : (access == 2'd2) ? 2'd1 : 2'd2;

    always @(*) begin
        assume ((pa & ({60'd0, bytes} - 64'd1)) == 64'd0);
        assume (addrs[63:54] == 0 && addrs[127:118] == 0 && addrs[191:182] == 0
                && addrs[255:246] == 0 && addrs[319:310] == 0 && addrs[383:374] == 0
                && addrs[447:438] == 0 && addrs[511:502] == 0);
    end

    wire [63:0] first = pa;
    (* tap = "dut.last" *) wire [63:0] last;
    wire [63:0] last_ref = pa + {60'd0, bytes} - 64'd1;
    always @(*) assert (last == last_ref);

    // `IN_ENTRY(x)`: byte address x lies in the entry (mode `mode`, bottom `bottom`, address
    // `top`) by the privileged spec's address matching.
`define IN_ENTRY(x) ((mode == 2'd1 && (bottom << 2) <= (x) && (x) < (top << 2)) \
                    || (mode == 2'd2 && ((x) >> 2) == top) \
                    || (mode == 2'd3 && ((((x) >> 2) ^ top) & ~(top ^ (top + 64'd1))) == 64'd0))

    wire [7:0] grants;  // entry i is enabled, holds the first and the last byte, grants `need`
    genvar i, k;
    generate
        for (i = 0; i < 8; i = i + 1) begin : entry
            wire [7:0] cfg = vpmpcfg[8 * i +: 8];
            wire [1:0] mode = cfg[4:3];
            wire [63:0] top = addrs[64 * i +: 64];
            wire [63:0] bottom;
            if (i == 0) begin : from_zero
                assign bottom = 64'd0;
            end else begin : from_prev
                assign bottom = addrs[64 * (i - 1) +: 64];
            end
            wire first_in = `IN_ENTRY(first);
            wire last_in = `IN_ENTRY(last);
            assign grants[i] = first_in && last_in && cfg[need];
            // Lemma B: an entry holding the first and the last byte holds every byte.
            for (k = 1; k < 8; k = k + 1) begin : byte_k
                wire [63:0] xk = first + k;
                wire inside = `IN_ENTRY(xk);
                always @(*) if (first_in && last_in && k < bytes) assert (inside);
            end
        end
    endgenerate

    // Lemma C: the NAPOT care mask is the spec's "t trailing ones cover 2^(t+3) bytes".
    reg [6:0] t;
    integer j;
    always @(*) begin
        t = 7'd64;
        for (j = 63; j >= 0; j = j - 1)
            if (!napot_probe[j]) t = j;
    end
    wire [63:0] spec_care = (t >= 7'd63) ? 64'd0 : ~((64'd1 << (t + 7'd1)) - 64'd1);
    always @(*) assert (~(napot_probe ^ (napot_probe + 64'd1)) == spec_care);

    // Main assertion.
    always @(*) if (vpmp_active && grants == 8'd0) assert (vpmp_fault);
`undef IN_ENTRY
endmodule
