//! The CQL schema and its versioned, idempotent application: which versions exist, how a
//! script is split into statements, and how a keyspace is brought up to the latest version
//! (recorded in `schema_version`) without redoing what an earlier run already applied.

use super::{now_ms, ScyllaDb};

/// The reference schema; it is also schema version 1.
pub const SCHEMA: &str = include_str!("schema.cql");

/// Schema version 2: the tables of the session, library and history repositories.
pub const SCHEMA_V2: &str = include_str!("schema_v2.cql");

/// Schema version 3: the tables of the playlist repository.
pub const SCHEMA_V3: &str = include_str!("schema_v3.cql");

/// Schema version 4: invite limits and uses (`pl_invite_uses`).
pub const SCHEMA_V4: &str = include_str!("schema_v4.cql");

/// Schema version 5: per-account settings (`user_settings`).
pub const SCHEMA_V5: &str = include_str!("schema_v5.cql");

/// Schema versions in order: `(version, CQL)`. Append new versions (ALTER/CREATE ... IF NOT
/// EXISTS statements) at the end; never edit one that has been released.
pub const SCHEMA_VERSIONS: &[(i32, &str)] = &[
    (1, SCHEMA),
    (2, SCHEMA_V2),
    (3, SCHEMA_V3),
    (4, SCHEMA_V4),
    (5, SCHEMA_V5),
];

impl ScyllaDb {
    /// Applies every schema version that `schema_version` does not list yet. Each statement is
    /// `IF NOT EXISTS`, so a run interrupted half-way simply runs again.
    pub(super) async fn migrate(&self) -> anyhow::Result<()> {
        let s = &self.session;
        // schema_version is the first statement of version 1; make sure it exists before
        // asking it anything.
        if let Some(first) = statements(SCHEMA).into_iter().next() {
            s.query_unpaged(first, &[]).await?;
        }
        let applied: Vec<i32> = s
            .query_unpaged(
                "SELECT version FROM schema_version WHERE domain = 'segue'",
                &[],
            )
            .await?
            .into_rows_result()?
            .rows::<(i32,)>()?
            .map(|r| r.map(|(v,)| v))
            .collect::<Result<_, _>>()?;
        for (version, cql) in SCHEMA_VERSIONS {
            if applied.contains(version) {
                continue;
            }
            for stmt in statements(cql) {
                s.query_unpaged(stmt, &[]).await?;
            }
            s.await_schema_agreement().await?;
            s.query_unpaged(
                "INSERT INTO schema_version (domain, version, applied_at_ms) VALUES ('segue', ?, ?)",
                (*version, now_ms()),
            )
            .await?;
            tracing::info!(keyspace = %self.keyspace, version, "CQL schema version applied");
        }
        Ok(())
    }
}

/// Splits a CQL script into statements: drops `--` comments, splits on `;`.
pub fn statements(script: &str) -> Vec<String> {
    let without_comments: String = script
        .lines()
        .map(|l| match l.find("--") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_splits_into_create_statements_without_filtering() {
        let stmts = statements(SCHEMA);
        assert!(stmts.len() > 30, "{}", stmts.len());
        assert!(stmts[0].starts_with("CREATE TABLE IF NOT EXISTS schema_version"));
        for s in stmts
            .iter()
            .chain(&statements(SCHEMA_V2))
            .chain(&statements(SCHEMA_V3))
            .chain(&statements(SCHEMA_V4))
            .chain(&statements(SCHEMA_V5))
        {
            assert!(s.starts_with("CREATE TABLE IF NOT EXISTS "), "{s}");
            assert!(!s.to_uppercase().contains("ALLOW FILTERING"), "{s}");
        }
    }
}
