//! Bulk builds add documents best static rank first (popularity factor × kind weight), so the
//! top tier of a bulk-built segment is a few contiguous doc id ranges: a broad query then ranks
//! its page by visiting only those ranges (see `tier.rs` and `exec.rs`), which is the early
//! termination a popularity-sorted index allows. Documents are spilled to one temporary file per
//! distinct static rank (at most 101 popularities × 4 kinds) and read back highest rank first,
//! so memory stays bounded however large the catalog.

use super::ranking::{kind_weight, popularity_factor};
use super::schema::{to_tantivy, Fields, SearchDoc};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use tantivy::IndexWriter;

/// Documents waiting to be indexed, grouped by static rank.
pub struct RankedBulk {
    dir: PathBuf,
    /// Keyed by (kind code, popularity); one JSON document per line.
    spills: BTreeMap<(u64, u32), BufWriter<File>>,
}

impl RankedBulk {
    /// Spills into a fresh directory `dir` (removed by `index_into`).
    pub fn new(dir: &Path) -> std::io::Result<RankedBulk> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
        Ok(RankedBulk {
            dir: dir.to_path_buf(),
            spills: BTreeMap::new(),
        })
    }

    pub fn push(&mut self, doc: &SearchDoc) -> anyhow::Result<()> {
        let key = (doc.kind().code(), doc.popularity().min(100));
        let file = match self.spills.get_mut(&key) {
            Some(f) => f,
            None => {
                let path = self.dir.join(format!("{}-{}.jsonl", key.0, key.1));
                self.spills
                    .entry(key)
                    .or_insert(BufWriter::new(File::create(path)?))
            }
        };
        serde_json::to_writer(&mut *file, doc)?;
        file.write_all(b"\n")?;
        Ok(())
    }

    /// Adds every document to `writer`, highest static rank first; returns how many.
    pub fn index_into(self, writer: &IndexWriter, fields: &Fields) -> anyhow::Result<u64> {
        let mut keys: Vec<(u64, u32)> = self.spills.keys().copied().collect();
        keys.sort_by(|a, b| {
            let rank = |k: &(u64, u32)| popularity_factor(u64::from(k.1)) * kind_weight(k.0);
            rank(b).total_cmp(&rank(a)).then(a.cmp(b))
        });
        for (_, mut f) in self.spills {
            f.flush()?;
        }
        let mut n = 0u64;
        for (kind, pop) in keys {
            let path = self.dir.join(format!("{kind}-{pop}.jsonl"));
            for line in BufReader::new(File::open(&path)?).lines() {
                let doc: SearchDoc = serde_json::from_str(&line?)?;
                writer.add_document(to_tantivy(fields, &doc))?;
                n += 1;
            }
            std::fs::remove_file(&path)?;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(n)
    }
}
