//! The journal of real runs: every event of a run, secrets masked, in a JSON-lines file under the
//! state directory (private to the runner), synced to disk at each step boundary, each step's output bounded to its head and tail; what can be learnt from one (status,
//! values published, rollbacks still owed); the lock that keeps two runs of a runbook apart; and the pruning of old journals.

pub mod lock;
pub mod output_bound;
pub mod prune;
pub mod record;
pub mod state_dir;
pub mod state_permissions;
pub mod writer;
