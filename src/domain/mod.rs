//! Domain.
pub mod playlist;
pub mod playlist_labels;
pub mod playlist_model;
pub mod playlist_ops;
