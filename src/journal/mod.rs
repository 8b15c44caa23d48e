//! The journal of real runs: every event of a run, secrets masked, in a JSON-lines file under the
//! state directory, synced to disk at each step boundary; what can be learnt from one (status,
//! values published, rollbacks still owed); and the lock that keeps two runs of a runbook apart.

pub mod lock;
pub mod record;
pub mod state_dir;
pub mod writer;
