//! Domain types and rules. Nothing here performs I/O or knows about the `worker` crate.
pub mod api_key;
pub mod contact;
pub mod csv_export;
pub mod csv_import;
pub mod cursor;
pub mod customer;
pub mod email;
pub mod fields;
pub mod filter;
pub mod group;
pub mod id;
pub mod import;
pub mod interaction;
pub mod permission;
pub mod time;
pub mod unicode;
