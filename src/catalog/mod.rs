//! Catalog import, the bundled demo catalog and the synthetic generator.

pub mod generate;
pub mod import;
