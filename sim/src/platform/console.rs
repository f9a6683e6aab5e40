//! Where the console's bytes come from and go to (platform.md, "Console": UART0 output goes to
//! standard output, standard input feeds UART0 receive). The CLI uses stdout and a non-blocking
//! stdin (a reader thread feeding a channel, so the run loop never blocks); tests use in-memory
//! queues so they can drive the UART deterministically.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::rc::Rc;
use std::sync::mpsc::{channel, Receiver, TryRecvError};

/// Input bytes for the UART's receiver.
pub trait CharSource {
    /// The next byte, if one is available now (never blocks).
    fn try_read(&mut self) -> Option<u8>;
    /// Whether more input may still arrive (false after end of file): the run loop only reports
    /// that all harts wait forever when nothing can arrive.
    fn is_live(&self) -> bool;
}

/// An in-memory input queue (tests; runs without input).
#[derive(Clone, Default)]
pub struct QueueSource(pub Rc<RefCell<VecDeque<u8>>>);

impl QueueSource {
    pub fn push(&self, bytes: &[u8]) {
        self.0.borrow_mut().extend(bytes);
    }
}

impl CharSource for QueueSource {
    fn try_read(&mut self) -> Option<u8> {
        self.0.borrow_mut().pop_front()
    }
    fn is_live(&self) -> bool {
        false
    }
}

/// Standard input, read by a background thread so the simulation never blocks on it.
pub struct StdinSource {
    rx: Receiver<u8>,
    live: bool,
}

impl StdinSource {
    pub fn spawn() -> Self {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while let Ok(n @ 1..) = stdin.read(&mut buf) {
                if buf[..n].iter().any(|&b| tx.send(b).is_err()) {
                    return;
                }
            }
        });
        StdinSource { rx, live: true }
    }
}

impl CharSource for StdinSource {
    fn try_read(&mut self) -> Option<u8> {
        match self.rx.try_recv() {
            Ok(b) => Some(b),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => {
                self.live = false;
                None
            }
        }
    }
    fn is_live(&self) -> bool {
        self.live
    }
}

/// A shared in-memory output buffer (tests read what the machine printed).
#[derive(Clone, Default)]
pub struct VecSink(pub Rc<RefCell<Vec<u8>>>);

impl VecSink {
    pub fn contents(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }
}

impl Write for VecSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
