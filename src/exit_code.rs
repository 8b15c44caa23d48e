//! The documented exit codes.

/// The run succeeded (or `check` found no error).
pub const SUCCESS: i32 = 0;
/// A guard or step failed; the completed steps were rolled back.
pub const FAILED: i32 = 1;
/// Usage, parse or check error: nothing ran.
pub const USAGE: i32 = 2;
/// A confirmation was declined or the run was interrupted; completed steps were rolled back.
pub const DECLINED: i32 = 3;
/// A rollback failed: the system may be half-changed, check by hand.
pub const ROLLBACK_FAILED: i32 = 4;
/// Another run holds the lock (or a dead one left it): nothing ran.
pub const LOCKED: i32 = 5;

/// The text `--help` and the README show.
pub const HELP: &str = "\
Exit codes:
  0  success (check: no error)
  1  a guard or step failed; completed steps were rolled back
  2  usage, parse or check error; nothing ran
  3  a confirmation was declined or the run was interrupted; completed steps were rolled back
  4  a rollback failed: the system may be half-changed, check by hand
  5  another run of this runbook holds the lock, or left a stale one: nothing ran";
