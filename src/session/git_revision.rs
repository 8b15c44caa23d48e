//! An earlier version of a runbook, read from git (`plan --base-ref REF`).

use std::path::Path;
use std::process::{Command, Stdio};

/// The text of `file` at git revision `reference`.
pub fn git_show(reference: &str, file: &Path) -> Result<String, String> {
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .ok_or_else(|| format!("{} is not a file", file.display()))?;
    // `REF:./name` is relative to the directory git runs in.
    let spec = format!("{reference}:./{}", name.to_string_lossy());
    let output = Command::new("git")
        .arg("show")
        .arg(&spec)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "git show {spec} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("{spec} is not UTF-8 text"))
}
