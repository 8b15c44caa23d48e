//! Remote machines over SSH, the transport only: one multiplexed master connection per host,
//! forwards through it, remote processes, transfers, and connection errors worded for the
//! operator.
//!
//! Nothing here knows about steps (the remote primitives bind it to a run) or about where hosts
//! come from (`hosts/`). It may import `hosts` (for `HostSpec`) and the leaf `shell_quote`;
//! never `primitives`, `context` or `engine`.

pub mod connect_error;
pub mod forward;
pub mod pool;
pub mod remote_process;
pub mod transfer;
pub mod via;
