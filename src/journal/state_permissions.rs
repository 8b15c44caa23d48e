//! Private state: journals hold a run's parameters, outputs and host names, so the state
//! directory is the runner's alone. Files are created `0600`, directories `0700`, and a state
//! directory that other users can write to is refused (its journals could be forged, and
//! `rollback` would run what a forged journal says).

use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

/// Mode of every directory under the state directory.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file under the state directory.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents, private (`0700`).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Options that create a private file (`0600`), failing if it exists.
pub fn new_private_file() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create_new(true).mode(FILE_MODE);
    options
}

/// Creates a private file at `path`, in a private directory; fails if it exists.
pub fn create_private_file(path: &Path, append: bool) -> std::io::Result<File> {
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut options = new_private_file();
    if append {
        options.append(true);
    } else {
        options.write(true);
    }
    options.open(path)
}

/// Refuses a state directory (or its `runs/` and `locks/`) that another user can write to:
/// writable by its group or by everyone, or owned by another user than the runner (or root).
/// A directory that does not exist yet is fine: it will be created private.
pub fn check(state: &Path) -> Result<(), String> {
    let runner = nix::unistd::geteuid().as_raw();
    for dir in [
        state.to_path_buf(),
        super::state_dir::runs(state),
        super::state_dir::locks(state),
    ] {
        let Ok(meta) = std::fs::metadata(&dir) else {
            continue;
        };
        let mode = meta.mode() & 0o7777;
        let unsafe_because = if mode & 0o022 != 0 {
            Some(format!(
                "other users can write to it (mode {mode:04o}): its journals could be forged or removed"
            ))
        } else if meta.uid() != runner && meta.uid() != 0 {
            Some(format!(
                "it belongs to another user (uid {}): its journals could be forged or removed",
                meta.uid()
            ))
        } else {
            None
        };
        if let Some(why) = unsafe_because {
            return Err(format!(
                "refusing the state directory {}: {why}; make it private (`chmod 700 {}`) or \
                 choose another with --state-dir",
                dir.display(),
                dir.display()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_created_private() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("state/runs/a.jsonl");
        create_private_file(&file, true).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&tmp.path().join("state/runs")), 0o700);
        assert_eq!(mode(&tmp.path().join("state")), 0o700);
    }

    #[test]
    fn a_directory_others_can_write_to_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("state");
        create_private_dir(&state.join("runs")).unwrap();
        assert!(check(&state).is_ok());
        std::fs::set_permissions(state.join("runs"), std::fs::Permissions::from_mode(0o777))
            .unwrap();
        let refused = check(&state).unwrap_err();
        assert!(
            refused.contains("other users can write to it (mode 0777)"),
            "{refused}"
        );
        assert!(refused.contains("runs"), "{refused}");
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o775)).unwrap();
        let refused = check(&state).unwrap_err();
        assert!(refused.contains("(mode 0775)"), "{refused}");
    }

    #[test]
    fn a_missing_directory_is_accepted() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(check(&tmp.path().join("nothing")).is_ok());
    }
}
