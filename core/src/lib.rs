//! KeyClave core: every rule of the product, shared by the CLI and the
//! desktop app.
//!
//! Fronts are thin: they parse input, call one function here and map the
//! result. Crypto, SQL, parsing, policy and redaction live in this crate.
//!
//! Entry point: [`KeyClave`] (profiles, before unlock) and [`Vault`] (one
//! unlocked profile).

#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod audit;
pub mod backoff;
pub mod bundle;
pub mod conflict;
pub mod crypto;
pub mod dotenv;
pub mod error;
pub mod import;
pub mod index;
pub mod keyclave;
pub mod migrations;
pub mod paths;
pub mod profile;
pub mod project;
pub mod providers;
pub mod redact;
pub mod scan;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod time;
pub mod totp;
pub mod vault;

pub use error::{Error, ErrorCode, Result};
pub use keyclave::KeyClave;
pub use vault::Vault;
