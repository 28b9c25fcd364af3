//! Catalog import, the bundled demo catalog and the synthetic generator. The file format (JSON
//! Lines, one `CatalogItem` per line) is described in docs/catalog.md.

pub mod demo_data;
pub mod generate;
pub mod import;
pub mod listening;
pub mod listening_eval;
mod words;

use crate::storage::{Album, Artist, Track};
use serde::{Deserialize, Serialize};

/// One line of a catalog file: `{"kind":"artist"|"album"|"track", ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CatalogItem {
    Artist(Artist),
    Album(Album),
    Track(Track),
}

impl CatalogItem {
    pub fn id(&self) -> &str {
        match self {
            CatalogItem::Artist(a) => &a.id,
            CatalogItem::Album(a) => &a.id,
            CatalogItem::Track(t) => &t.id,
        }
    }

    /// Checks what the storage types cannot express; the message is shown with the line number.
    pub fn validate(&self) -> Result<(), String> {
        let id = self.id();
        if id.is_empty() || id.len() > 128 {
            return Err("`id` must be 1-128 characters".into());
        }
        if id
            .chars()
            .any(|c| c.is_control() || c == '/' || c.is_whitespace())
        {
            return Err(format!(
                "`id` {id:?} must not contain spaces, '/' or control characters"
            ));
        }
        let (name_field, name, popularity) = match self {
            CatalogItem::Artist(a) => ("name", &a.name, a.popularity),
            CatalogItem::Album(a) => ("title", &a.title, a.popularity),
            CatalogItem::Track(t) => ("title", &t.title, t.popularity),
        };
        if name.trim().is_empty() {
            return Err(format!("`{name_field}` must not be empty"));
        }
        if popularity > 100 {
            return Err(format!("`popularity` must be 0..=100, not {popularity}"));
        }
        match self {
            CatalogItem::Track(t) => {
                if t.album_id.is_empty() {
                    return Err("`album_id` must not be empty".into());
                }
                if t.duration_ms < 0 {
                    return Err("`duration_ms` must not be negative".into());
                }
                if t.track_number == 0 || t.disc_number == 0 {
                    return Err("`track_number` and `disc_number` start at 1".into());
                }
            }
            CatalogItem::Album(a) => {
                if let Some(c) = &a.color {
                    let ok = c.len() == 7
                        && c.starts_with('#')
                        && c[1..].chars().all(|h| h.is_ascii_hexdigit());
                    if !ok {
                        return Err(format!("`color` must be #rrggbb, not {c:?}"));
                    }
                }
            }
            CatalogItem::Artist(_) => {}
        }
        Ok(())
    }
}
