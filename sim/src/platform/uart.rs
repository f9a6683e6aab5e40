//! UART0, an NS16550A at 0x1000_0000 with IRQ 10 (platform.md, "Memory map" and "Console").
//! Byte-wide registers at offsets 0..7 (`reg-shift` 0, `reg-io-width` 1 in the FDT). Transmission
//! is instantaneous: THR is always empty (LSR.THRE and TEMT set) and bytes go straight to the sink.
//! The receive FIFO holds 16 bytes and is refilled from the input source by [`Uart::poll_input`],
//! so input is never lost (the source keeps what the FIFO cannot take).

use std::collections::VecDeque;
use std::io::Write;

use super::bus::Device;
use super::console::CharSource;

pub use dv_platform::map::{UART_BASE, UART_CLOCK_HZ, UART_IRQ, UART_SIZE};

const FIFO_DEPTH: usize = 16;

const IER_ERBFI: u8 = 1; // receive data available
const IER_ETBEI: u8 = 2; // THR empty
const LCR_DLAB: u8 = 0x80;
const MCR_LOOP: u8 = 0x10;
const LSR_DR: u8 = 0x01;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;
const IIR_NONE: u8 = 0x01;
const IIR_THRE: u8 = 0x02;
const IIR_RDA: u8 = 0x04;
const IIR_FIFO: u8 = 0xc0;

pub struct Uart {
    sink: Box<dyn Write>,
    source: Box<dyn CharSource>,
    rx: VecDeque<u8>,
    ier: u8,
    fcr: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    dll: u8,
    dlm: u8,
    /// The THR-empty interrupt condition: set when THR empties (instantly after each write) or
    /// when ETBEI is enabled; cleared by reading IIR while it reports it, or by writing THR.
    thre_pending: bool,
    dirty: bool,
}

impl Uart {
    pub fn new(sink: Box<dyn Write>, source: Box<dyn CharSource>) -> Self {
        Uart {
            sink,
            source,
            rx: VecDeque::with_capacity(FIFO_DEPTH),
            ier: 0,
            fcr: 0,
            lcr: 0,
            mcr: 0,
            scr: 0,
            dll: 0,
            dlm: 0,
            thre_pending: false,
            dirty: false,
        }
    }

    /// Replaces the input source (the CLI attaches stdin only once it actually runs).
    pub fn set_source(&mut self, source: Box<dyn CharSource>) {
        self.source = source;
    }

    /// Takes the input source out (leaving an empty one), to move it to a rebuilt machine.
    pub fn take_source(&mut self) -> Box<dyn CharSource> {
        std::mem::replace(&mut self.source, Box::new(super::console::QueueSource::default()))
    }

    /// Moves available input into the receive FIFO; true if anything arrived.
    pub fn poll_input(&mut self) -> bool {
        let mut got = false;
        while self.rx.len() < FIFO_DEPTH && self.mcr & MCR_LOOP == 0 {
            let Some(b) = self.source.try_read() else { break };
            self.rx.push_back(b);
            got = true;
        }
        got
    }

    /// Whether more input may arrive (see [`CharSource::is_live`]).
    pub fn input_live(&self) -> bool {
        self.source.is_live()
    }

    /// Writes console bytes from another source (HTIF putchar) to the same sink.
    pub fn write_console(&mut self, bytes: &[u8]) {
        let _ = self.sink.write_all(bytes);
        self.dirty = true;
    }

    /// Flushes the output sink (the machine calls this periodically and at the end of a run).
    pub fn flush(&mut self) {
        if std::mem::take(&mut self.dirty) {
            let _ = self.sink.flush();
        }
    }

    fn iir_id(&self) -> u8 {
        if self.ier & IER_ERBFI != 0 && !self.rx.is_empty() {
            IIR_RDA
        } else if self.ier & IER_ETBEI != 0 && self.thre_pending {
            IIR_THRE
        } else {
            IIR_NONE
        }
    }

    /// The interrupt output to the PLIC (source [`UART_IRQ`]).
    pub fn irq(&self) -> bool {
        self.iir_id() != IIR_NONE
    }

    fn transmit(&mut self, b: u8) {
        if self.mcr & MCR_LOOP != 0 {
            if self.rx.len() < FIFO_DEPTH {
                self.rx.push_back(b);
            }
        } else {
            // Console output errors (a closed pipe) must not stop the machine.
            let _ = self.sink.write_all(&[b]);
            self.dirty = true;
        }
        self.thre_pending = true;
    }

    fn msr(&self) -> u8 {
        if self.mcr & MCR_LOOP != 0 {
            // Loopback: DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD.
            let m = self.mcr;
            ((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4)
        } else {
            0xb0 // DCD, DSR, CTS: a connected terminal
        }
    }
}

impl Device for Uart {
    fn read(&mut self, offset: u64, size: u8) -> Option<u64> {
        if size != 1 {
            return None;
        }
        let dlab = self.lcr & LCR_DLAB != 0;
        let v = match offset {
            0 if dlab => self.dll,
            0 => self.rx.pop_front().unwrap_or(0),
            1 if dlab => self.dlm,
            1 => self.ier,
            2 => {
                let id = self.iir_id();
                if id == IIR_THRE {
                    self.thre_pending = false;
                }
                id | if self.fcr & 1 != 0 { IIR_FIFO } else { 0 }
            }
            3 => self.lcr,
            4 => self.mcr,
            5 => LSR_THRE | LSR_TEMT | if self.rx.is_empty() { 0 } else { LSR_DR },
            6 => self.msr(),
            7 => self.scr,
            _ => 0,
        };
        Some(u64::from(v))
    }

    fn write(&mut self, offset: u64, size: u8, value: u64) -> bool {
        if size != 1 {
            return false;
        }
        let v = value as u8;
        let dlab = self.lcr & LCR_DLAB != 0;
        match offset {
            0 if dlab => self.dll = v,
            0 => self.transmit(v),
            1 if dlab => self.dlm = v,
            1 => {
                let newly_etbei = v & IER_ETBEI != 0 && self.ier & IER_ETBEI == 0;
                self.ier = v & 0x0f;
                if newly_etbei {
                    self.thre_pending = true; // THR is always empty
                }
            }
            2 => {
                self.fcr = v & 0xc9;
                if v & 2 != 0 {
                    self.rx.clear();
                }
            }
            3 => self.lcr = v,
            4 => self.mcr = v & 0x1f,
            7 => self.scr = v,
            _ => {} // LSR, MSR: read-only
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::console::{QueueSource, VecSink};

    fn uart() -> (Uart, VecSink, QueueSource) {
        let (sink, src) = (VecSink::default(), QueueSource::default());
        (Uart::new(Box::new(sink.clone()), Box::new(src.clone())), sink, src)
    }

    #[test]
    fn transmit_and_line_status() {
        let (mut u, sink, _) = uart();
        assert_eq!(u.read(5, 1), Some(0x60));
        u.write(0, 1, u64::from(b'h'));
        u.write(0, 1, u64::from(b'i'));
        assert_eq!(sink.contents(), b"hi");
        assert_eq!(u.read(2, 1), Some(1), "no interrupt");
        assert_eq!(u.read(5, 2), None, "byte accesses only");
    }

    #[test]
    fn divisor_latch_and_scratch() {
        let (mut u, sink, _) = uart();
        u.write(3, 1, 0x83);
        u.write(0, 1, 0x12);
        u.write(1, 1, 0x34);
        assert_eq!(u.read(0, 1), Some(0x12));
        assert_eq!(u.read(1, 1), Some(0x34));
        u.write(3, 1, 0x03);
        assert_eq!(u.read(1, 1), Some(0), "IER untouched");
        assert!(sink.contents().is_empty(), "DLL write did not transmit");
        u.write(7, 1, 0x5a);
        assert_eq!(u.read(7, 1), Some(0x5a));
        assert_eq!(u.read(3, 1), Some(3));
    }

    #[test]
    fn receive_and_interrupts() {
        let (mut u, _, src) = uart();
        src.push(b"ab");
        assert!(!u.irq());
        u.write(1, 1, u64::from(IER_ERBFI));
        assert!(u.poll_input());
        assert!(u.irq());
        assert_eq!(u.read(5, 1), Some(0x61));
        u.write(2, 1, 1); // FIFO on
        assert_eq!(u.read(2, 1), Some(0xc4));
        assert_eq!(u.read(0, 1), Some(u64::from(b'a')));
        assert_eq!(u.read(0, 1), Some(u64::from(b'b')));
        assert!(!u.irq());
        assert_eq!(u.read(5, 1), Some(0x60));
        // THRE: raised on enabling, cleared by reading IIR, raised again by a transmission.
        u.write(1, 1, u64::from(IER_ETBEI));
        assert!(u.irq());
        assert_eq!(u.read(2, 1), Some(0xc2));
        assert!(!u.irq());
        u.write(0, 1, 0x41);
        assert!(u.irq());
        // FIFO refill is bounded; the rest stays in the source.
        src.push(&[0u8; 20]);
        u.poll_input();
        assert_eq!(src.0.borrow().len(), 4);
        u.write(2, 1, 3); // clear RX FIFO
        assert_eq!(u.read(5, 1), Some(0x60));
    }

    #[test]
    fn loopback() {
        let (mut u, sink, _) = uart();
        u.write(4, 1, 0x1f);
        u.write(0, 1, 0x42);
        assert!(sink.contents().is_empty());
        assert_eq!(u.read(0, 1), Some(0x42));
        assert_eq!(u.read(6, 1), Some(0xf0));
    }
}
