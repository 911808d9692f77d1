
mod schema;
