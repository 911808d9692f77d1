//! Integration tests of keyclave-core against real SQLCipher files in
//! temporary directories, one module per feature.

// A failed unwrap in a test is a failed test, which is what we want.
#![allow(clippy::unwrap_used)]

mod at_rest;
mod automation;
mod background;
mod bundle;
mod bundle_fuzz;
mod common;
mod dashboard;
mod discovery;
mod dotenv;
mod dotenv_python;
mod dotenv_vault;
mod errors;
mod import;
mod integrity;
mod online;
mod parser_fuzz;
mod profiles;
mod recipient_bundle;
mod reveal;
mod rotation;
mod scan;
mod schema;
mod secrets;
mod session;
mod template;
mod totp;
mod unlock;
