//! Where hosts come from, as pure data: the runbook's `host` and `group` declarations, Ansible
//! inventories (`inventory`, read from disk by `inventory_file`), host specs, the resolution of
//! every `on` target once parameters and secrets are known (`resolution`), and the static check
//! of those targets (`target_check`).
//!
//! It may import `language` (the syntax tree) and `diagnostic`; nothing that connects anywhere.

pub mod host_spec;
pub mod inventory;
pub mod inventory_file;
pub mod resolution;
pub mod target_check;
