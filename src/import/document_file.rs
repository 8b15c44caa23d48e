//! The Markdown document read from disk, refused without being read whole when it is over
//! [`MAX_BYTES`](super::MAX_BYTES).

use super::{ImportError, MAX_BYTES};
use std::io::Read;
use std::path::Path;

/// The file's bytes; a file over the limit is refused without being read whole (special
/// files, whose size is unknown, are read up to one byte past it).
pub fn read_limited(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_BYTES as u64 {
        let bytes = usize::try_from(size).unwrap_or(usize::MAX);
        return Err(ImportError::TooLarge { bytes }.to_string());
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    Ok(bytes)
}
