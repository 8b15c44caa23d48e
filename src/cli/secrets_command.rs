//! `runbook secrets encrypt|decrypt|edit FILE`: age-encrypted files, kept with the team's
//! recipients (`session::secret_files`).

use super::print_diagnostics;
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::output::console::outln;
use crate::session::age_file;
use crate::session::secret_files;
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct SecretsArgs {
    #[command(subcommand)]
    action: SecretsAction,
    /// The team's public keys (age1…, one a line); default the nearest `.age-recipients`
    /// above FILE.
    #[arg(
        long,
        short = 'R',
        value_name = "FILE",
        env = "RUNBOOK_AGE_RECIPIENTS",
        global = true
    )]
    recipients_file: Option<PathBuf>,
    /// The age identity (key file) that decrypts.
    #[arg(long, value_name = "FILE", env = "RUNBOOK_AGE_IDENTITY", global = true)]
    age_identity: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SecretsAction {
    /// Encrypt FILE to the recipients as FILE.age (FILE itself is left for you to remove).
    Encrypt { file: PathBuf },
    /// Print the clear text of FILE.age.
    Decrypt { file: PathBuf },
    /// Edit FILE.age in $EDITOR through a private temporary file, removed afterwards
    /// (a new FILE.age starts empty).
    Edit { file: PathBuf },
}

pub fn run(args: &SecretsArgs) -> i32 {
    let identity = age_file::identity_file(args.age_identity.as_deref());
    let done = match &args.action {
        SecretsAction::Encrypt { file } => {
            secret_files::recipients_file(args.recipients_file.as_deref(), file)
                .and_then(|recipients| secret_files::encrypt(file, &recipients))
                .map(|target| {
                    outln!(
                        "encrypted {} into {}; remove the clear file once checked",
                        file.display(),
                        target.display()
                    );
                })
        }
        SecretsAction::Decrypt { file } => {
            secret_files::decrypt(file, identity.as_deref()).map(|plain| {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&plain);
                let _ = out.flush();
            })
        }
        SecretsAction::Edit { file } => {
            secret_files::recipients_file(args.recipients_file.as_deref(), file)
                .and_then(|recipients| {
                    secret_files::edit(
                        file,
                        identity.as_deref(),
                        &recipients,
                        &secret_files::run_editor,
                    )
                })
                .map(|changed| {
                    if changed {
                        outln!("{} re-encrypted", file.display());
                    } else {
                        outln!("{} unchanged", file.display());
                    }
                })
        }
    };
    match done {
        Ok(()) => exit_code::SUCCESS,
        Err(e) => {
            print_diagnostics(&[Diagnostic::error(e)]);
            exit_code::USAGE
        }
    }
}
