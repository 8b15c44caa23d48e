//! `runbook secrets encrypt|decrypt|edit FILE`: age-encrypted files kept in git with the
//! team's recipients, as `ansible-vault` does. The recipients are a file of `age1…` keys:
//! `--recipients-file`, `RUNBOOK_AGE_RECIPIENTS`, or the nearest `.age-recipients` above FILE.
//! `edit` opens a private temporary copy in `$EDITOR` and removes it afterwards.

use super::age_file;
use crate::journal::state_permissions;
use std::path::{Path, PathBuf};

/// The name of the recipients file looked for above an encrypted file.
pub const RECIPIENTS_FILE: &str = ".age-recipients";

/// The recipients file: the one given, else the nearest `.age-recipients` above `file`.
pub fn recipients_file(given: Option<&Path>, file: &Path) -> Result<PathBuf, String> {
    if let Some(path) = given {
        return Ok(path.to_path_buf());
    }
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    absolute
        .ancestors()
        .skip(1)
        .map(|dir| dir.join(RECIPIENTS_FILE))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            format!(
                "no recipients: give --recipients-file, set RUNBOOK_AGE_RECIPIENTS, or write the \
                 team's public keys (age1…) into a {RECIPIENTS_FILE} file beside {}",
                file.display()
            )
        })
}

/// Encrypts `plain_file` into `plain_file.age`; returns the new file. An existing one is kept.
pub fn encrypt(plain_file: &Path, recipients: &Path) -> Result<PathBuf, String> {
    let mut target = plain_file.as_os_str().to_owned();
    target.push(".age");
    let target = PathBuf::from(target);
    if target.exists() {
        return Err(format!(
            "{} exists: edit it with `runbook secrets edit`",
            target.display()
        ));
    }
    let plain = std::fs::read(plain_file)
        .map_err(|e| format!("cannot read {}: {e}", plain_file.display()))?;
    let sealed = age_file::encrypt(&plain, &age_file::read_recipients(recipients)?)?;
    write_replacing(&target, &sealed)?;
    Ok(target)
}

/// The clear text of an encrypted file.
pub fn decrypt(file: &Path, identity: Option<&Path>) -> Result<Vec<u8>, String> {
    age_file::decrypt(file, identity, &|_| None)
}

/// Decrypts `file` (or starts empty when it does not exist) into a private temporary file,
/// lets `edit` change it, and encrypts the result back to `recipients`. Returns whether the
/// text changed; the temporary file is removed in every case.
pub fn edit(
    file: &Path,
    identity: Option<&Path>,
    recipients: &Path,
    edit: &dyn Fn(&Path) -> Result<(), String>,
) -> Result<bool, String> {
    let before = if file.exists() {
        decrypt(file, identity)?
    } else {
        Vec::new()
    };
    let recipients = age_file::read_recipients(recipients)?;
    // A 0700 directory of its own, removed on drop: the clear text is never readable by others.
    let dir = tempfile::Builder::new()
        .prefix("runbook-secret-")
        .tempdir()
        .map_err(|e| format!("cannot create a private temporary directory: {e}"))?;
    let name = file
        .file_stem()
        .map_or_else(|| "secret".into(), |s| s.to_string_lossy().into_owned());
    let clear = dir.path().join(name);
    let mut out = state_permissions::create_private_file(&clear, false)
        .map_err(|e| format!("cannot create {}: {e}", clear.display()))?;
    std::io::Write::write_all(&mut out, &before)
        .map_err(|e| format!("cannot write {}: {e}", clear.display()))?;
    drop(out);
    edit(&clear)?;
    let after =
        std::fs::read(&clear).map_err(|e| format!("cannot read {}: {e}", clear.display()))?;
    if after == before && file.exists() {
        return Ok(false);
    }
    write_replacing(file, &age_file::encrypt(&after, &recipients)?)?;
    Ok(true)
}

/// Runs `$VISUAL` or `$EDITOR` (else `vi`) on `path`, as a shell would split its words.
pub fn run_editor(path: &Path) -> Result<(), String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let words = shlex::split(&editor)
        .filter(|w| !w.is_empty())
        .ok_or_else(|| format!("cannot read the editor command `{editor}`"))?;
    let status = std::process::Command::new(&words[0])
        .args(&words[1..])
        .arg(path)
        .status()
        .map_err(|e| format!("cannot run the editor `{editor}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the editor `{editor}` failed ({status}): nothing was changed"
        ))
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, renamed over it.
fn write_replacing(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut temp, bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    temp.persist(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}
