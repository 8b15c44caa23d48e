//! Remote machines over SSH: where hosts come from (declarations, Ansible inventories,
//! parameters), one multiplexed master connection per host, remote commands and transfers.
//! Nothing here knows about steps: the primitives in `crate::primitives::remote` bind it to a run.

pub mod connect_error;
pub mod host_spec;
pub mod hosts;
pub mod inventory;
pub mod inventory_file;
pub mod pool;
pub mod remote_process;
pub mod transfer;
