//! Wire shapes of collaborative-playlist edits: the ops clients send (`Op`), the ops as the
//! server applied them (`AppliedOp`), log entries, snapshots, and their static validation.

use serde::{Deserialize, Serialize};

use crate::domain::text::validate_display_text;

/// Longest item id, track id or op id a client may send.
pub const MAX_ID_LEN: usize = 64;
pub const MAX_NAME_LEN: usize = 100;
pub const MAX_DESCRIPTION_LEN: usize = 300;

/// An op as a client sends it. Items are named by `item_id`, never by index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    Insert {
        #[serde(default)]
        after_item_id: Option<String>,
        track_ids: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item_ids: Option<Vec<String>>,
    },
    Remove {
        item_id: String,
    },
    Move {
        item_id: String,
        #[serde(default)]
        after_item_id: Option<String>,
    },
    Reorder {
        item_ids: Vec<String>,
    },
    Rename {
        name: String,
    },
    Describe {
        description: String,
    },
}

impl Op {
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Insert { .. } => "insert",
            Op::Remove { .. } => "remove",
            Op::Move { .. } => "move",
            Op::Reorder { .. } => "reorder",
            Op::Rename { .. } => "rename",
            Op::Describe { .. } => "describe",
        }
    }
}

/// An op as the server applied it: anchors are the ones actually used and inserted items carry
/// their ids, so that replaying these gives exactly the same list on every client and on restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum AppliedOp {
    Insert {
        after_item_id: Option<String>,
        track_ids: Vec<String>,
        item_ids: Vec<String>,
    },
    /// `after_item_id` is the removed item's predecessor at removal time (where a later insert
    /// anchored on the removed item goes).
    Remove {
        item_id: String,
        after_item_id: Option<String>,
    },
    Move {
        item_id: String,
        after_item_id: Option<String>,
    },
    /// The whole resulting order.
    Reorder {
        item_ids: Vec<String>,
    },
    Rename {
        name: String,
    },
    Describe {
        description: String,
    },
}

/// One committed edit: a new version of the playlist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub version: u64,
    pub op_id: String,
    pub author: String,
    pub at_ms: i64,
    pub ops: Vec<AppliedOp>,
}

/// An op of an edit that could no longer apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// Index of the op in the edit's `ops`.
    pub index: usize,
    pub op: String,
    pub reason: String,
}

/// What `playlist_edit` answers; stored per `op_id` so a re-sent edit gets the same answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditResult {
    pub version: u64,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub item_id: String,
    pub track_id: String,
    pub added_by: String,
    pub added_at_ms: i64,
}

/// A removed item remembered (for a bounded window) so later anchors on it still resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removed {
    pub item_id: String,
    pub pred: Option<String>,
    pub version: u64,
}

/// The whole list at one version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u64,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub items: Vec<Item>,
    #[serde(default)]
    pub removed: Vec<Removed>,
}

/// Limits of one playlist (config `playlist.*`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_items: usize,
    pub max_ops_per_edit: usize,
    /// How many versions removed items are remembered (the op log window).
    pub window: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_items: 10_000,
            max_ops_per_edit: 100,
            window: 1000,
        }
    }
}

/// Why a whole edit was refused (nothing applied).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    TooMany(String),
}

pub fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_ID_LEN && !s.chars().any(|c| c.is_control())
}

fn check_id(what: &str, s: &str) -> Result<(), EditError> {
    if valid_id(s) {
        Ok(())
    } else {
        Err(EditError::Invalid(format!(
            "{what} must be 1-{MAX_ID_LEN} characters without control characters"
        )))
    }
}

/// Checks a playlist name; returns it trimmed. Names are shown to collaborators and in search,
/// so they go through the shared display-text rules (no control or bidi characters, visible).
pub fn check_name(name: &str) -> Result<String, EditError> {
    validate_display_text(name, MAX_NAME_LEN)
        .map_err(|e| EditError::Invalid(format!("name (1-{MAX_NAME_LEN} characters) {e}")))
}

/// Checks a playlist description; returns it trimmed. Unlike a name it may be empty.
pub fn check_description(d: &str) -> Result<String, EditError> {
    if d.trim().is_empty() {
        return Ok(String::new());
    }
    validate_display_text(d, MAX_DESCRIPTION_LEN).map_err(|e| {
        EditError::Invalid(format!(
            "description (at most {MAX_DESCRIPTION_LEN} characters) {e}"
        ))
    })
}

/// Checks an edit without looking at the list: shapes, lengths, duplicate ids.
pub fn validate_ops(ops: &[Op], limits: &Limits) -> Result<(), EditError> {
    if ops.is_empty() {
        return Err(EditError::Invalid("ops must not be empty".into()));
    }
    if ops.len() > limits.max_ops_per_edit {
        return Err(EditError::TooMany(format!(
            "an edit may carry at most {} ops",
            limits.max_ops_per_edit
        )));
    }
    let mut new_ids = std::collections::HashSet::new();
    for op in ops {
        match op {
            Op::Insert {
                after_item_id,
                track_ids,
                item_ids,
            } => {
                if let Some(a) = after_item_id {
                    check_id("after_item_id", a)?;
                }
                if track_ids.is_empty() {
                    return Err(EditError::Invalid("insert needs track_ids".into()));
                }
                if track_ids.len() > limits.max_items {
                    return Err(EditError::TooMany(format!(
                        "a playlist holds at most {} items",
                        limits.max_items
                    )));
                }
                for t in track_ids {
                    check_id("track_id", t)?;
                }
                if let Some(ids) = item_ids {
                    if ids.len() != track_ids.len() {
                        return Err(EditError::Invalid(
                            "item_ids must have one id per track_id".into(),
                        ));
                    }
                    for id in ids {
                        check_id("item_id", id)?;
                        if !new_ids.insert(id.as_str()) {
                            return Err(EditError::Invalid(format!(
                                "item_id `{id}` appears twice in the edit"
                            )));
                        }
                    }
                }
            }
            Op::Remove { item_id } => check_id("item_id", item_id)?,
            Op::Move {
                item_id,
                after_item_id,
            } => {
                check_id("item_id", item_id)?;
                if let Some(a) = after_item_id {
                    check_id("after_item_id", a)?;
                }
            }
            Op::Reorder { item_ids } => {
                let mut seen = std::collections::HashSet::new();
                for id in item_ids {
                    check_id("item_id", id)?;
                    if !seen.insert(id.as_str()) {
                        return Err(EditError::Invalid(format!(
                            "reorder names item `{id}` twice"
                        )));
                    }
                }
            }
            Op::Rename { name } => {
                check_name(name)?;
            }
            Op::Describe { description } => {
                check_description(description)?;
            }
        }
    }
    Ok(())
}
