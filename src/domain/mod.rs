//! Domain rules: pure state machines, no I/O.

pub mod session;
