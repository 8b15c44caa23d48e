//! How big the target is: `disk_free(path)` (the file system holding a path), `cpu_count()`
//! and `memory()`.

use super::Target;
use crate::diagnostic::error_kind::ErrorKind;
use crate::primitives::{Outcome, error};
use rhai::{Dynamic, Map};

/// `df -Pk` of the path, or of its nearest existing parent (a directory a deployment is
/// about to create is on the file system of its parent). `-P`: one line per file system, in
/// the POSIX columns, with GNU's `df` and BusyBox's.
const DISK: &str = "p=$1; while [ ! -e \"$p\" ]; do p=$(dirname \"$p\"); done; df -Pk -- \"$p\"";

/// `#{path, mount, total, used, free, used_percent, free_percent}`: bytes, and percents as
/// `df` counts them (of what users may fill: `used + free`, the root's reserve left out).
pub fn disk(target: &Target<'_>, path: &str) -> Outcome<Dynamic> {
    let summary = format!("measure the free disk space of {path} (df)");
    target.read(
        "disk_free",
        &summary,
        &format!("free space of {path}"),
        |t| {
            let out = t.output("disk_free", &["sh", "-c", DISK, "sh", path], None)?;
            let line = out.lines().nth(1).unwrap_or_default();
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 6 {
                return error(
                    ErrorKind::Script,
                    format!("disk_free: `df` answered `{out}`"),
                );
            }
            let kib = |i: usize| number("disk_free", "a size in KiB", fields[i]).map(|k| k * 1024);
            let (total, used, free) = (kib(1)?, kib(2)?, kib(3)?);
            let used_percent = number("disk_free", "a percent", fields[4].trim_end_matches('%'))?;
            let mut map = Map::new();
            map.insert("path".into(), path.into());
            map.insert("mount".into(), fields[5..].join(" ").into());
            map.insert("total".into(), total.into());
            map.insert("used".into(), used.into());
            map.insert("free".into(), free.into());
            map.insert("used_percent".into(), used_percent.into());
            map.insert("free_percent".into(), (100 - used_percent).into());
            Ok(map.into())
        },
    )
}

/// The processors the target's processes may use (`nproc`: the online ones, less those an
/// affinity mask leaves out).
pub fn cpus(target: &Target<'_>) -> Outcome<Dynamic> {
    target.read("cpu_count", "count the CPUs (nproc)", "CPU count", |t| {
        let out = t.output("cpu_count", &["nproc"], None)?;
        number("cpu_count", "a number of CPUs", &out).map(Dynamic::from)
    })
}

/// `#{total, available}` in bytes, from `/proc/meminfo` (`MemTotal`, `MemAvailable`: what
/// new work can get without swapping).
pub fn memory(target: &Target<'_>) -> Outcome<Dynamic> {
    let summary = "read the memory sizes (/proc/meminfo)";
    target.read("memory", summary, "memory sizes", |t| {
        let out = t.output("memory", &["cat", "/proc/meminfo"], None)?;
        let field = |name: &str| -> Outcome<i64> {
            let line = out.lines().find_map(|l| l.strip_prefix(name));
            match line {
                Some(rest) => number(
                    "memory",
                    "a size in kB",
                    rest.trim_start_matches(':').trim().trim_end_matches("kB"),
                )
                .map(|k| k * 1024),
                None => error(
                    ErrorKind::Script,
                    format!("memory: /proc/meminfo has no `{name}` line"),
                ),
            }
        };
        let mut map = Map::new();
        map.insert("total".into(), field("MemTotal:")?.into());
        map.insert("available".into(), field("MemAvailable:")?.into());
        Ok(map.into())
    })
}

/// A number of the command's output, or an error saying what was expected.
fn number(primitive: &str, what: &str, text: &str) -> Outcome<i64> {
    text.trim().parse().or_else(|_| {
        error(
            ErrorKind::Script,
            format!("{primitive}: expected {what}, the target answered `{text}`"),
        )
    })
}
