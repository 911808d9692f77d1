//! Tests that run the built `keyclave` binary on temporary homes, as a
//! script or a person at a shell would. One test binary, a module per
//! feature, one setup helper (`util`).

// A failed unwrap in a test is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

mod agent;
mod automation;
mod bundle;
mod concurrency;
mod copy;
mod crash;
mod damage;
mod diagnostics;
mod discovery;
mod env;
mod hostile;
mod import;
mod inject;
mod keychain;
mod man;
mod online;
mod output;
mod reveal_policy;
mod scan;
mod secrets;
mod totp;
mod util;
