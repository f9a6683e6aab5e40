//! NS16550A UART (platform.md "Memory map": UART0, IRQ 10), register-compatible with QEMU's
//! `serial` model so that the drivers written against it (U-Boot `ns16550`, Linux `8250` with its
//! IER and loopback probes) accept it. Byte registers at offsets 0..=7 (`reg-shift` 0); wider
//! accesses use the low byte. Transmission is instantaneous: THR is always empty (LSR THRE and
//! TEMT set), so a THR-empty interrupt is pending whenever enabled and not acknowledged.
//!
//! Output accumulates in a buffer the hypervisor drains to its console; input is pushed by the
//! hypervisor into a receive queue (larger than the 16-byte FIFO: the console is not paced).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::MmioDevice;

/// Register offsets.
pub mod reg {
    /// RBR (read) / THR (write); DLL with LCR.DLAB.
    pub const RBR_THR: u64 = 0;
    /// IER; DLM with LCR.DLAB.
    pub const IER: u64 = 1;
    /// IIR (read) / FCR (write).
    pub const IIR_FCR: u64 = 2;
    pub const LCR: u64 = 3;
    pub const MCR: u64 = 4;
    pub const LSR: u64 = 5;
    pub const MSR: u64 = 6;
    pub const SCR: u64 = 7;
}

/// IER bits.
pub const IER_RDI: u8 = 1 << 0;
pub const IER_THRI: u8 = 1 << 1;
pub const IER_RLSI: u8 = 1 << 2;
pub const IER_MSI: u8 = 1 << 3;
/// IIR interrupt ids (bit 0 = 1: none pending).
pub const IIR_NO_INT: u8 = 0x01;
pub const IIR_THRI: u8 = 0x02;
pub const IIR_RDI: u8 = 0x04;
/// IIR bits 7:6 with the FIFOs enabled (a 16550A).
pub const IIR_FIFO_ENABLED: u8 = 0xC0;
pub const FCR_ENABLE_FIFO: u8 = 1 << 0;
pub const FCR_CLEAR_RCVR: u8 = 1 << 1;
pub const LCR_DLAB: u8 = 1 << 7;
pub const MCR_LOOP: u8 = 1 << 4;
pub const LSR_DR: u8 = 1 << 0;
pub const LSR_THRE: u8 = 1 << 5;
pub const LSR_TEMT: u8 = 1 << 6;
/// MSR with the modem "connected" (QEMU's idle value): DCD, DSR, CTS.
pub const MSR_CONNECTED: u8 = 0xB0;

/// Receive queue capacity; `push_input` accepts at most this many pending bytes.
pub const RX_CAPACITY: usize = 4096;

/// The UART state.
#[derive(Debug, Default)]
pub struct Uart {
    rx: VecDeque<u8>,
    out: Vec<u8>,
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    fcr: u8,
    dll: u8,
    dlm: u8,
    /// A THR-empty interrupt is pending (set when THR empties or THRI is enabled, cleared by
    /// reading it from IIR or writing THR: 16550 data sheet, "Interrupt Identification").
    thr_ipending: bool,
}

impl Uart {
    pub fn new() -> Uart {
        Uart::default()
    }

    /// Queues received bytes; returns how many fit.
    pub fn push_input(&mut self, bytes: &[u8]) -> usize {
        let n = bytes.len().min(self.input_space());
        self.rx.extend(&bytes[..n]);
        n
    }

    /// Free space in the receive queue.
    pub fn input_space(&self) -> usize {
        RX_CAPACITY.saturating_sub(self.rx.len())
    }

    pub fn rx_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// Bytes written by the guest since the last drain.
    pub fn output(&self) -> &[u8] {
        &self.out
    }

    /// Appends console output that did not come through THR (the SBI console), so that both
    /// streams reach the console in the order the guest wrote them.
    pub fn push_output(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    /// Takes the pending output.
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.out)
    }

    /// Hands the pending output to `sink` and empties the buffer (keeps its allocation).
    pub fn drain_output(&mut self, sink: impl FnOnce(&[u8])) {
        if !self.out.is_empty() {
            sink(&self.out);
            self.out.clear();
        }
    }

    fn dlab(&self) -> bool {
        self.lcr & LCR_DLAB != 0
    }

    fn lsr(&self) -> u8 {
        LSR_THRE | LSR_TEMT | if self.rx.is_empty() { 0 } else { LSR_DR }
    }

    fn msr(&self) -> u8 {
        if self.mcr & MCR_LOOP == 0 {
            return MSR_CONNECTED;
        }
        // Loopback: DTR → DSR, RTS → CTS, OUT1 → RI, OUT2 → DCD (the probe Linux runs).
        let m = self.mcr;
        (m & 1) << 5 | (m >> 1 & 1) << 4 | (m >> 2 & 1) << 6 | (m >> 3 & 1) << 7
    }

    /// The highest-priority pending interrupt (line status errors and modem-status changes never
    /// occur here).
    fn iir_id(&self) -> u8 {
        if self.ier & IER_RDI != 0 && !self.rx.is_empty() {
            IIR_RDI
        } else if self.ier & IER_THRI != 0 && self.thr_ipending {
            IIR_THRI
        } else {
            IIR_NO_INT
        }
    }

    /// The interrupt line (level): some enabled interrupt is pending.
    pub fn irq(&self) -> bool {
        self.iir_id() != IIR_NO_INT
    }

    /// Register read (side effects: RBR pops a byte, IIR acknowledges a THR-empty interrupt).
    #[inline(always)]
    pub fn read_reg(&mut self, offset: u64) -> u8 {
        match offset {
            reg::RBR_THR if self.dlab() => self.dll,
            reg::RBR_THR => self.rx.pop_front().unwrap_or(0),
            reg::IER if self.dlab() => self.dlm,
            reg::IER => self.ier,
            reg::IIR_FCR => {
                let id = self.iir_id();
                if id == IIR_THRI {
                    self.thr_ipending = false;
                }
                id | if self.fcr & FCR_ENABLE_FIFO != 0 { IIR_FIFO_ENABLED } else { 0 }
            }
            reg::LCR => self.lcr,
            reg::MCR => self.mcr,
            reg::LSR => self.lsr(),
            reg::MSR => self.msr(),
            reg::SCR => self.scr,
            _ => 0,
        }
    }

    /// Register write.
    #[inline(always)]
    pub fn write_reg(&mut self, offset: u64, v: u8) {
        match offset {
            reg::RBR_THR if self.dlab() => self.dll = v,
            reg::RBR_THR => {
                if self.mcr & MCR_LOOP != 0 {
                    if self.rx.len() < RX_CAPACITY {
                        self.rx.push_back(v);
                    }
                } else {
                    self.out.push(v);
                }
                // Sent at once: THR is empty again.
                self.thr_ipending = true;
            }
            reg::IER if self.dlab() => self.dlm = v,
            reg::IER => {
                let changed = (self.ier ^ v) & IER_THRI;
                self.ier = v & (IER_RDI | IER_THRI | IER_RLSI | IER_MSI);
                if changed != 0 {
                    self.thr_ipending = self.ier & IER_THRI != 0;
                }
            }
            reg::IIR_FCR => {
                if v & FCR_CLEAR_RCVR != 0 {
                    self.rx.clear();
                }
                // Enable and trigger-level bits; the clear bits self-clear.
                self.fcr = v & 0xC9;
            }
            reg::LCR => self.lcr = v,
            reg::MCR => self.mcr = v & 0x1F,
            reg::SCR => self.scr = v,
            _ => {}
        }
    }
}

impl MmioDevice for Uart {
    fn read(&mut self, offset: u64, _width: u8) -> u64 {
        u64::from(self.read_reg(offset))
    }

    fn write(&mut self, offset: u64, _width: u8, value: u64) {
        self.write_reg(offset, value as u8);
    }

    fn irq_level(&self) -> bool {
        self.irq()
    }

    /// The line ([`Uart::irq`]) depends on IER, the receive queue and the THR-empty flag, which
    /// only accesses to RBR/THR, IER (or DLL/DLM) and IIR/FCR change.
    fn irq_sensitive(&self) -> u64 {
        1 << reg::RBR_THR | 1 << reg::IER | 1 << reg::IIR_FCR
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The claim the bus relies on (`irq_sensitive`): from any state a random history can
        /// reach, an access at an offset outside the mask leaves the interrupt line alone.
        #[test]
        fn insensitive_offsets_never_move_the_line(
            history in proptest::collection::vec((0u64..8, any::<bool>(), any::<u8>()), 0..40),
            input in proptest::collection::vec(any::<u8>(), 0..4),
            off in 0u64..64,
            store in any::<bool>(),
            v in any::<u8>(),
        ) {
            let mut u = Uart::new();
            u.push_input(&input);
            for (o, st, val) in history {
                if st { u.write_reg(o, val) } else { u.read_reg(o); }
            }
            let mask = u.irq_sensitive();
            prop_assume!(mask >> off & 1 == 0);
            let before = u.irq_level();
            if store { u.write(off, 1, u64::from(v)) } else { u.read(off, 1); }
            prop_assert_eq!(u.irq_level(), before, "offset {}", off);
        }
    }

    #[test]
    fn transmit_and_line_status() {
        let mut u = Uart::new();
        assert_eq!(u.read_reg(reg::LSR), LSR_THRE | LSR_TEMT);
        for b in b"hi\n" {
            u.write_reg(reg::RBR_THR, *b);
        }
        assert_eq!(u.take_output(), b"hi\n");
        assert!(u.output().is_empty());
        assert!(!u.irq(), "no interrupt without IER");
    }

    #[test]
    fn receive_queue_and_rx_interrupt() {
        let mut u = Uart::new();
        assert_eq!(u.push_input(b"ab"), 2);
        assert_eq!(u.read_reg(reg::LSR), LSR_THRE | LSR_TEMT | LSR_DR);
        assert!(!u.irq());
        u.write_reg(reg::IER, IER_RDI);
        assert!(u.irq());
        assert_eq!(u.read_reg(reg::IIR_FCR), IIR_RDI);
        assert_eq!(u.read_reg(reg::RBR_THR), b'a');
        assert_eq!(u.read_reg(reg::RBR_THR), b'b');
        assert!(!u.irq());
        assert_eq!(u.read_reg(reg::RBR_THR), 0, "empty RBR reads 0");
        assert_eq!(u.read_reg(reg::LSR) & LSR_DR, 0);
        let big = [b'x'; RX_CAPACITY + 10];
        assert_eq!(u.push_input(&big), RX_CAPACITY);
        assert_eq!(u.push_input(b"y"), 0);
        u.write_reg(reg::IIR_FCR, FCR_ENABLE_FIFO | FCR_CLEAR_RCVR);
        assert!(u.rx_empty());
    }

    #[test]
    fn thr_empty_interrupt_follows_the_16550() {
        let mut u = Uart::new();
        u.write_reg(reg::IER, IER_THRI);
        assert!(u.irq(), "enabling THRI with THR empty raises it");
        assert_eq!(u.read_reg(reg::IIR_FCR), IIR_THRI);
        assert!(!u.irq(), "reading IIR acknowledges it");
        assert_eq!(u.read_reg(reg::IIR_FCR), IIR_NO_INT);
        u.write_reg(reg::RBR_THR, b'z');
        assert!(u.irq(), "THR empties again after a write");
        u.write_reg(reg::IER, 0);
        assert!(!u.irq());
        // The Linux 8250 "THRE test": toggling IER.THRI re-raises the interrupt.
        u.write_reg(reg::IER, IER_THRI);
        assert_eq!(u.read_reg(reg::IIR_FCR), IIR_THRI);
        u.write_reg(reg::IER, 0);
        u.write_reg(reg::IER, IER_THRI);
        assert_eq!(u.read_reg(reg::IIR_FCR), IIR_THRI);
        // RX data outranks THR empty.
        u.push_input(b"q");
        u.write_reg(reg::IER, IER_THRI | IER_RDI);
        assert_eq!(u.read_reg(reg::IIR_FCR), IIR_RDI);
    }

    #[test]
    fn linux_autoconfig_probes() {
        let mut u = Uart::new();
        // IER test: 0 reads 0, 0x0F reads 0x0F, upper bits dropped.
        u.write_reg(reg::IER, 0);
        assert_eq!(u.read_reg(reg::IER), 0);
        u.write_reg(reg::IER, 0xFF);
        assert_eq!(u.read_reg(reg::IER), 0x0F);
        u.write_reg(reg::IER, 0);
        // Loopback test: MCR = LOOP | OUT2 | RTS → MSR status = DCD | CTS.
        u.write_reg(reg::MCR, MCR_LOOP | 1 << 3 | 1 << 1);
        assert_eq!(u.read_reg(reg::MSR) & 0xF0, 0x80 | 0x10);
        u.write_reg(reg::RBR_THR, b'L');
        assert!(u.output().is_empty(), "loopback does not transmit");
        assert_eq!(u.read_reg(reg::RBR_THR), b'L');
        u.write_reg(reg::MCR, 0);
        assert_eq!(u.read_reg(reg::MSR), MSR_CONNECTED);
        // FIFO: IIR bits 7:6 = 11 once enabled (16550A).
        u.write_reg(reg::IIR_FCR, FCR_ENABLE_FIFO);
        assert_eq!(u.read_reg(reg::IIR_FCR), IIR_FIFO_ENABLED | IIR_NO_INT);
        // Scratch register.
        u.write_reg(reg::SCR, 0xA5);
        assert_eq!(u.read_reg(reg::SCR), 0xA5);
    }

    #[test]
    fn divisor_latch() {
        let mut u = Uart::new();
        u.write_reg(reg::LCR, LCR_DLAB | 3);
        u.write_reg(reg::RBR_THR, 0x01);
        u.write_reg(reg::IER, 0x02);
        assert_eq!((u.read_reg(reg::RBR_THR), u.read_reg(reg::IER)), (0x01, 0x02));
        assert!(u.output().is_empty(), "DLL writes are not output");
        u.write_reg(reg::LCR, 3);
        assert_eq!(u.read_reg(reg::IER), 0, "IER untouched by the DLM write");
        assert_eq!(u.read_reg(reg::LCR), 3);
        assert_eq!(u.read_reg(0x10), 0, "beyond the registers");
        u.write_reg(0x10, 1);
    }
}
