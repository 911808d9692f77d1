//! KeyClave core: every rule of the product, shared by the CLI and the
//! desktop app.
//!
//! Fronts are thin: they parse input, call one function here and map the
//! result. Crypto, SQL, parsing, policy and redaction live in this crate.
//!
//! Entry point: [`KeyClave`] (profiles, before unlock) and [`Vault`] (a
//! shared handle to one unlocked profile). The capabilities are free
//! functions over a `&Vault`, one module each: [`secrets`], [`totp`],
//! [`projects`], [`inject`] (`.env` files and `run`), [`bundle`],
//! [`import`], [`passphrase`], [`rotation`]; [`reveal`] is the one rule for
//! values leaving the vault, [`session`] and [`jobs`] what a front holds.

#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod audit;
pub mod automation;
pub mod backoff;
pub mod bundle;
pub mod catalog;
pub mod conflict;
pub mod crypto;
pub mod dashboard;
pub mod diagnostics;
pub mod discovery;
pub mod dotenv;
pub mod endpoint;
pub mod error;
pub mod exclusion;
pub mod identity;
pub mod import;
pub mod index;
pub mod index_copy;
pub mod inject;
pub mod integrity;
pub mod jobs;
pub mod keychain;
pub mod keyclave;
pub mod migrations;
pub mod net;
pub mod passphrase;
pub mod paths;
pub mod profile;
pub mod projects;
pub mod providers;
pub mod random_secret;
pub mod redact;
pub mod reveal;
pub mod rotation;
pub mod scan;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod sqlite_file;
pub mod time;
pub mod totp;
pub mod validation;
pub mod vault;

pub use error::{Error, ErrorCode, Result};
pub use keyclave::KeyClave;
pub use vault::Vault;
