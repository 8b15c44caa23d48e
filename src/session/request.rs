//! What a front end asks a session for: which runbook and procedure, with which inputs, how
//! hosts are found and reached, and how the run behaves. Plain data, no clap: the command line,
//! a resumed journal or a test fills it in.

use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::Mode;
use crate::ssh::pool::SshSettings;
use std::path::PathBuf;

/// A procedure to open, and everything it is fed with.
#[derive(Clone)]
pub struct Request {
    /// The runbook file (.rb42).
    pub file: PathBuf,
    /// The procedure; by default the one marked `default`, or the only one.
    pub procedure: Option<String>,
    /// Parameters as `NAME=VALUE` pairs, as given (`-p`). They are split with the other
    /// inputs, so a malformed one is reported beside the other problems of the inputs.
    pub params: Vec<String>,
    /// A dotenv file of parameters and secrets (the process environment wins); `*.age`:
    /// encrypted.
    pub env_file: Option<PathBuf>,
    /// The age identity that decrypts `*.age` files (else `RUNBOOK_AGE_IDENTITY`).
    pub age_identity: Option<PathBuf>,
    /// An Ansible INI inventory, replacing the runbook's own.
    pub inventory: Option<PathBuf>,
    pub ssh: SshSettings,
    pub mode: Mode,
    /// With a dry-run, execute reads (commands marked read, guards) for real.
    pub probe: bool,
    /// Who may answer the confirmations.
    pub gate: ConfirmationGate,
}
