//! Integration tests of keyclave-core against real SQLCipher files in
//! temporary directories, one module per feature.

mod at_rest;
mod common;
mod errors;
mod profiles;
mod rotation;
mod schema;
mod secrets;
mod unlock;
