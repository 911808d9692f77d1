//! Tests of the desktop crate (one binary): the generated bindings, and the
//! app state under background work — what the window's commands do while
//! a scan runs, locks, auto-locks and a failed lock audit; and what the
//! window hears of online work.

// A failed unwrap in a test is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

mod background;
mod bindings;
mod events;
