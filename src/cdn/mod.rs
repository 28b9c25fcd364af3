//! Cdn.
