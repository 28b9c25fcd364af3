//! Loading: defaults < file < `SEGUE_*` environment < CLI overrides, merged as TOML trees so that
//! an unknown key or a value of the wrong type names itself.

use super::{Config, ConfigError};
use std::collections::BTreeMap;
use std::path::Path;

/// Environment variables that start with `SEGUE_` but are not config keys (the test command's
/// own variables are inherited by servers that tests start, so they must not stop start-up).
const NON_CONFIG_ENV: &[&str] = &[
    "SEGUE_LOG",
    "SEGUE_TEST_CQL",
    "SEGUE_TEST_CQL_DIR",
    "SEGUE_REQUIRE_CQL",
    "SEGUE_CI_CLIPPY",
    "SEGUE_KEEP_CASSANDRA",
    "SEGUE_CACHE_DIR",
];

impl Config {
    /// Loads defaults < file < env < overrides (dotted key, TOML value), then validates.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &[(&str, toml::Value)],
    ) -> Result<Config, ConfigError> {
        let mut tree = toml::Value::try_from(Config::default())
            .map_err(|e| ConfigError(format!("internal: defaults do not serialize: {e}")))?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
            let user: toml::Value = toml::from_str(&text)
                .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
            merge(&mut tree, &user, "", &path.display().to_string())?;
        }
        let leaves = leaf_keys(&tree);
        for (name, raw) in env {
            if !name.starts_with("SEGUE_") || NON_CONFIG_ENV.contains(&name.as_str()) {
                continue;
            }
            let key = leaves
                .keys()
                .find(|k| env_name(k) == name)
                .cloned()
                .ok_or_else(|| {
                    ConfigError(format!(
                        "unknown environment variable {name}: no such config key"
                    ))
                })?;
            let value = parse_like(&leaves[&key], &raw)
                .map_err(|m| ConfigError(format!("{name} (key `{key}`): {m}")))?;
            set_path(&mut tree, &key, value);
        }
        for (key, value) in overrides {
            let leaf = leaves
                .get(*key)
                .ok_or_else(|| ConfigError(format!("unknown config key `{key}`")))?;
            check_same_type(leaf, value, key)?;
            set_path(&mut tree, key, value.clone());
        }
        let config: Config = tree
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }
}

/// `ws.idle_timeout_ms` -> `SEGUE_WS_IDLE_TIMEOUT_MS`.
pub fn env_name(key: &str) -> String {
    format!("SEGUE_{}", key.replace('.', "_").to_uppercase())
}

pub(super) fn leaf_keys(tree: &toml::Value) -> BTreeMap<String, toml::Value> {
    let mut out = BTreeMap::new();
    fn walk(v: &toml::Value, prefix: &str, out: &mut BTreeMap<String, toml::Value>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(v, &key, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.clone());
            }
        }
    }
    walk(tree, "", &mut out);
    out
}

fn merge(
    base: &mut toml::Value,
    user: &toml::Value,
    prefix: &str,
    origin: &str,
) -> Result<(), ConfigError> {
    let (toml::Value::Table(b), toml::Value::Table(u)) = (base, user) else {
        return Err(ConfigError(format!("{origin}: `{prefix}` must be a table")));
    };
    for (k, v) in u {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match b.get_mut(k) {
            None => return Err(ConfigError(format!("{origin}: unknown config key `{key}`"))),
            Some(slot @ toml::Value::Table(_)) => merge(slot, v, &key, origin)?,
            Some(slot) => {
                check_same_type(slot, v, &key)?;
                *slot = v.clone();
            }
        }
    }
    Ok(())
}

fn check_same_type(
    expected: &toml::Value,
    got: &toml::Value,
    key: &str,
) -> Result<(), ConfigError> {
    if std::mem::discriminant(expected) != std::mem::discriminant(got) {
        return Err(ConfigError(format!(
            "`{key}` must be a {}, got a {}",
            expected.type_str(),
            got.type_str()
        )));
    }
    Ok(())
}

fn parse_like(expected: &toml::Value, raw: &str) -> Result<toml::Value, String> {
    Ok(match expected {
        toml::Value::String(_) => toml::Value::String(raw.to_string()),
        toml::Value::Integer(_) => toml::Value::Integer(
            raw.trim()
                .parse::<i64>()
                .map_err(|_| format!("`{raw}` is not an integer"))?,
        ),
        toml::Value::Boolean(_) => toml::Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(format!("`{raw}` is not a boolean")),
        }),
        toml::Value::Float(_) => toml::Value::Float(
            raw.trim()
                .parse::<f64>()
                .map_err(|_| format!("`{raw}` is not a number"))?,
        ),
        toml::Value::Array(_) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_string()))
                .collect(),
        ),
        other => {
            return Err(format!(
                "cannot set a {} from the environment",
                other.type_str()
            ))
        }
    })
}

fn set_path(tree: &mut toml::Value, key: &str, value: toml::Value) {
    let mut node = tree;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let toml::Value::Table(t) = node else { return };
        if i == parts.len() - 1 {
            t.insert(part.to_string(), value);
            return;
        }
        match t.get_mut(*part) {
            Some(next) => node = next,
            None => return,
        }
    }
}
