//! The rhai modules shipped in `stdlib/`, embedded so an installed `runbook` finds them from any
//! directory: `use "stdlib/backup.rhai" as backup`.

/// Path (as written in `use`) and source of every stdlib module.
pub const MODULES: &[(&str, &str)] = &[
    ("stdlib/backup.rhai", include_str!("../stdlib/backup.rhai")),
    ("stdlib/checks.rhai", include_str!("../stdlib/checks.rhai")),
    (
        "stdlib/compose.rhai",
        include_str!("../stdlib/compose.rhai"),
    ),
    (
        "stdlib/database.rhai",
        include_str!("../stdlib/database.rhai"),
    ),
    (
        "stdlib/checklist.rhai",
        include_str!("../stdlib/checklist.rhai"),
    ),
];

/// The source of a stdlib module.
pub fn get(path: &str) -> Option<&'static str> {
    MODULES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, src)| *src)
}

/// Whether a `use` path names the stdlib rather than a file.
pub fn is_stdlib_path(path: &str) -> bool {
    path.starts_with("stdlib/")
}
