//! Keys generated on first start and kept in the data dir (token secret, CDN signing key), so a
//! restart keeps tokens and URLs valid without any configuration.

use std::path::Path;

pub fn load_or_create(path: &Path, len: usize) -> anyhow::Result<Vec<u8>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return hex::decode(text.trim())
            .map_err(|e| anyhow::anyhow!("{} is not hex: {e}", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key: Vec<u8> = (0..len).map(|_| rand::random::<u8>()).collect();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, hex::encode(&key))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(key)
}
