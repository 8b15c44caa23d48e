//! The command line: arguments, tracing set-up, and dispatch to one module per subcommand.

mod check_command;
mod completions_command;
mod doc_command;
mod fmt_command;
mod import_command;
mod journal_commands;
mod list_command;
mod plan_command;
mod repl_command;
mod run_command;
mod run_ending;
mod secrets_command;

use crate::context::confirmation_gate::ConfirmationGate;
use crate::context::event::Mode;
use crate::diagnostic::Diagnostic;
use crate::exit_code;
use crate::language::output_limit::OutputLimit;
use crate::output::console::{self, errln};
use crate::output::style::Style;
use crate::session::inputs::param_pairs;
use crate::session::recovery::Recovery;
use crate::session::request::Request;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "runbook", version, about = "Operations runbooks as code: steps, guards, confirmations and rollbacks.", after_help = exit_code::HELP)]
struct Cli {
    /// More diagnostics of the tool itself on stderr (-v, -vv); RUNBOOK_LOG sets filters.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Write the tool's own diagnostics to this file instead of stderr.
    #[arg(long, global = true, value_name = "FILE")]
    log_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a procedure: live output, rollbacks on failure.
    Run(RunArgs),
    /// Show what a procedure would do, changing nothing.
    Plan(PlanArgs),
    /// Check runbooks statically: syntax, names, types, every body compiled, lints.
    Check(CheckArgs),
    /// List the procedures, parameters, secrets and steps of a runbook.
    List(ListArgs),
    /// Render runbooks as Markdown pages (a directory: one page each, plus an index).
    Doc(doc_command::DocArgs),
    /// List the journaled runs: id, runbook, procedure, started, status, who.
    Runs(RunsArgs),
    /// Show one journaled run: its events, published values and owed rollbacks.
    Show(ShowArgs),
    /// Run the rollbacks a run still owes (after a crash, a kill or a lost terminal).
    Rollback(RecoverArgs),
    /// Continue a failed or interrupted run at the step that did not finish.
    Resume(RecoverArgs),
    /// An interactive session: rhai with every primitive, a runbook's steps one at a time.
    Repl(repl_command::ReplArgs),
    /// Encrypt, decrypt or edit an age-encrypted secrets file with the team's recipients.
    Secrets(secrets_command::SecretsArgs),
    /// Rewrite runbooks in the canonical layout (--check: only name those that would change).
    Fmt(FmtArgs),
    /// Draft a runbook from a Markdown one: procedures, steps, commands as calls, TODOs for
    /// what needs a person.
    Import(import_command::ImportArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    Completions(CompletionsArgs),
    /// A language server for editors, over standard input and output: diagnostics,
    /// completion, hover, formatting, outline, go to definition.
    Lsp,
}

/// How much of each step's output a real run journals (it is all streamed live).
#[derive(Args, Clone, Copy)]
struct JournalOutputArgs {
    /// Output lines the journal keeps per step and host: the first half and the last half,
    /// with a count and size of the lines left out between them (as Rundeck's log output
    /// limit); `all` keeps every line. A step's `journal N|all` replaces it for that step.
    #[arg(
        long,
        value_name = "LINES|all",
        env = "RUNBOOK_JOURNAL_OUTPUT",
        default_value = "1000",
        value_parser = OutputLimit::parse
    )]
    journal_output: OutputLimit,
}

/// Where journals and locks are kept.
#[derive(Args, Clone, Default)]
struct StateArgs {
    /// The state directory (journals, locks); default `.runbook/` beside the runbook.
    #[arg(long, value_name = "DIR", env = "RUNBOOK_STATE_DIR", global = true)]
    state_dir: Option<PathBuf>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("prune_rule").args(["older_than", "keep"]).multiple(true)))]
struct RunsArgs {
    /// A runbook whose runs to list (its `.runbook/`); default every state directory here.
    file: Option<PathBuf>,
    #[command(flatten)]
    state: StateArgs,
    /// Remove old journals (by --older-than and/or --keep); never one that owes rollbacks.
    #[arg(long, requires = "prune_rule")]
    prune: bool,
    /// With --prune: only runs started longer ago than this (`30d`, `12h`).
    #[arg(long, value_name = "AGE", requires = "prune", value_parser = age)]
    older_than: Option<std::time::Duration>,
    /// With --prune: keep the newest N runs of each state directory.
    #[arg(long, value_name = "N", requires = "prune")]
    keep: Option<usize>,
}

/// `--older-than 30d`.
fn age(text: &str) -> Result<std::time::Duration, String> {
    crate::language::duration::parse(text)
        .ok_or_else(|| format!("`{text}` is not an age such as 30d, 12h or 1d12h"))
}

#[derive(Args)]
struct RecoverArgs {
    /// The run id, as `runbook runs` lists it.
    run: String,
    #[command(flatten)]
    state: StateArgs,
    /// Answer yes to the confirmation (and to the procedure's, when resuming).
    #[arg(short, long)]
    yes: bool,
    /// Resume even though the runbook changed since the run.
    #[arg(long)]
    force: bool,
    /// Break a lock whose holder is gone.
    #[arg(long)]
    break_lock: bool,
    /// The age identity (key file) that decrypts `*.age` secrets.
    #[arg(long, value_name = "FILE", env = "RUNBOOK_AGE_IDENTITY")]
    age_identity: Option<PathBuf>,
    #[command(flatten)]
    ssh: SshArgs,
    #[command(flatten)]
    journal: JournalOutputArgs,
}

#[derive(Args)]
struct ShowArgs {
    #[command(flatten)]
    run: RecoverArgs,
    /// text: the events; html: the run's timeline as one self-contained page; json: its model.
    #[arg(long, value_enum, default_value = "text")]
    format: ShowFormat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ShowFormat {
    Text,
    Html,
    Json,
}

/// What selects and feeds a procedure.
#[derive(Args)]
struct Target {
    /// The runbook file (.rb42).
    file: PathBuf,
    /// The procedure to run; by default the one marked `default`, or the only one.
    procedure: Option<String>,
    /// Set a parameter: -p name=value (repeatable).
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Read parameters and secrets from a dotenv file (the process environment wins); a
    /// `*.age` file is decrypted in memory.
    #[arg(long, value_name = "FILE")]
    env_file: Option<PathBuf>,
    /// The age identity (key file) that decrypts `*.age` env files and secrets.
    #[arg(long, value_name = "FILE", env = "RUNBOOK_AGE_IDENTITY")]
    age_identity: Option<PathBuf>,
    #[command(flatten)]
    ssh: SshArgs,
}

impl Target {
    /// What the session is asked to open.
    fn request(&self, mode: Mode, probe: bool, gate: ConfirmationGate) -> Request {
        Request {
            file: self.file.clone(),
            procedure: self.procedure.clone(),
            params: self.params.clone(),
            env_file: self.env_file.clone(),
            age_identity: self.age_identity.clone(),
            inventory: self.ssh.inventory.clone(),
            ssh: self.ssh.settings(),
            mode,
            probe,
            gate,
        }
    }
}

/// How hosts are found and reached.
#[derive(Args, Clone, Default)]
struct SshArgs {
    /// An Ansible INI inventory, as `ansible-playbook -i` takes: its groups and hosts become
    /// targets of `on`. It replaces the runbook's own `inventory`.
    #[arg(short = 'i', long, value_name = "FILE", env = "RUNBOOK_INVENTORY")]
    inventory: Option<PathBuf>,
    /// The known_hosts file to check host keys against (default: ssh's own).
    #[arg(long, value_name = "FILE", env = "RUNBOOK_KNOWN_HOSTS")]
    known_hosts: Option<PathBuf>,
    /// Accept and record the key of a host seen for the first time (a changed key is
    /// always refused).
    #[arg(long)]
    accept_new_host_keys: bool,
    /// The ssh_config file to read, or `none`; default ~/.ssh/config and /etc/ssh/ssh_config.
    #[arg(long, value_name = "FILE|none", env = "RUNBOOK_SSH_CONFIG")]
    ssh_config: Option<PathBuf>,
    /// Seconds to wait for a host to answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    connect_timeout: u64,
}

impl SshArgs {
    fn settings(&self) -> crate::ssh::pool::SshSettings {
        use crate::ssh::pool::{SshConfig, SshSettings};
        // Relative to where the command was typed, wherever ssh later reads them from.
        let absolute = |p: &PathBuf| std::path::absolute(p).unwrap_or_else(|_| p.clone());
        SshSettings {
            known_hosts: self.known_hosts.as_ref().map(absolute),
            accept_new_host_keys: self.accept_new_host_keys,
            config: match &self.ssh_config {
                None => SshConfig::System,
                Some(p) if p.as_os_str() == "none" => SshConfig::Ignored,
                Some(p) => SshConfig::File(absolute(p)),
            },
            connect_timeout: std::time::Duration::from_secs(self.connect_timeout.max(1)),
        }
    }
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    target: Target,
    /// Answer yes to every confirmation.
    #[arg(short, long)]
    yes: bool,
    /// Answer yes to the confirmations of this step (repeatable).
    #[arg(long = "confirm", value_name = "STEP")]
    confirm: Vec<String>,
    /// Ask before every step: run, skip or abort.
    #[arg(long)]
    step: bool,
    /// Skip this optional step without asking (repeatable).
    #[arg(long = "skip", value_name = "STEP")]
    skip: Vec<String>,
    /// Change nothing: print the plan instead.
    #[arg(long)]
    dry_run: bool,
    /// With --dry-run, execute reads for real.
    #[arg(long, requires = "dry_run")]
    probe: bool,
    /// Output: live text, or one JSON event per line.
    #[arg(long, value_enum, default_value_t = RunFormat::Text)]
    format: RunFormat,
    /// Start at this step (the earlier ones are skipped, their rollbacks not owed).
    #[arg(long, value_name = "STEP", conflicts_with = "only")]
    from: Option<String>,
    /// Run this step only.
    #[arg(long, value_name = "STEP")]
    only: Option<String>,
    /// Break a lock whose holder is gone.
    #[arg(long)]
    break_lock: bool,
    #[command(flatten)]
    state: StateArgs,
    #[command(flatten)]
    journal: JournalOutputArgs,
}

#[derive(Args)]
struct PlanArgs {
    #[command(flatten)]
    target: Target,
    /// Execute reads (commands marked read, guards) for real to show the current state.
    #[arg(long)]
    probe: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
    /// Compare with this earlier version of the runbook: what the change adds, removes or
    /// alters in what would run, step by step (every procedure, or PROCEDURE).
    #[arg(long, value_name = "OLD.rb42", conflicts_with_all = ["base_ref", "probe"])]
    base: Option<PathBuf>,
    /// Like --base, with the earlier version read from git (`git show REF:FILE`).
    #[arg(long, value_name = "REF", conflicts_with = "probe")]
    base_ref: Option<String>,
}

#[derive(Args)]
struct CheckArgs {
    /// Runbook files, or directories to search for *.rb42.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
    /// Fail (exit 2) on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// An Ansible INI inventory, as `ansible-playbook -i` takes: `on` targets are checked
    /// against its groups and hosts. It replaces the runbooks' own `inventory`.
    #[arg(short = 'i', long, value_name = "FILE", env = "RUNBOOK_INVENTORY")]
    inventory: Option<PathBuf>,
}

#[derive(Args)]
struct FmtArgs {
    /// Runbook files, or directories to search for *.rb42; `-` alone: standard input to
    /// standard output.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Change nothing: list the files that would change and how (exit 1 if any).
    #[arg(long)]
    check: bool,
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell the script is for.
    shell: clap_complete::Shell,
}

#[derive(Args)]
struct ListArgs {
    /// The runbook file (.rb42).
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    format: ListFormat,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum RunFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum CheckFormat {
    Text,
    Json,
    Github,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ListFormat {
    Text,
    Json,
}

/// Prints diagnostics the way `check` does, on stderr.
fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let style = Style::for_stderr();
    let text: String = diagnostics.iter().map(|d| d.render(style.colour)).collect();
    console::err(&text);
}

/// Prints a command's output on stdout and returns `code`. A reader that stopped reading
/// (`| head`) took what it wanted; a stdout that cannot be written (a full disk) is an error.
fn print(text: &str, code: i32) -> i32 {
    match console::out(text) {
        Ok(()) => code,
        Err(e) => {
            errln!("error: cannot write to standard output: {e}");
            exit_code::USAGE
        }
    }
}

/// `-p NAME=VALUE` arguments for a subcommand that stops at a bad one: the messages on stderr,
/// then `Err(exit code)`.
fn param_pairs_or_exit(raw: &[String]) -> Result<Vec<(String, String)>, i32> {
    param_pairs(raw).map_err(|bad| {
        for message in bad {
            errln!("error: {message}");
        }
        exit_code::USAGE
    })
}

/// Parses the arguments and runs the subcommand.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit_code::USAGE
            } else {
                exit_code::SUCCESS
            };
        }
    };
    init_tracing(cli.verbose, cli.log_file.as_deref());
    match cli.command {
        Command::Run(args) => run_command::run(&args),
        Command::Plan(args) => plan_command::run(&args),
        Command::Check(args) => check_command::run(&args),
        Command::List(args) => list_command::run(&args),
        Command::Doc(args) => doc_command::run(&args),
        Command::Runs(args) => journal_commands::runs(&args),
        Command::Show(args) => journal_commands::show(&args),
        Command::Rollback(args) => journal_commands::recover(&args, Recovery::Rollback),
        Command::Resume(args) => journal_commands::recover(&args, Recovery::Resume),
        Command::Repl(args) => repl_command::run(&args),
        Command::Secrets(args) => secrets_command::run(&args),
        Command::Fmt(args) => fmt_command::run(&args),
        Command::Import(args) => import_command::run(&args),
        Command::Completions(args) => completions_command::run(&args),
        Command::Lsp => crate::lsp::serve(std::io::stdin().lock(), std::io::stdout().lock()),
    }
}

/// The log targets of the TLS libraries (HTTP and PostgreSQL).
const TLS_LOG_TARGETS: [&str; 5] = [
    "rustls",
    "rustls_platform_verifier",
    "tokio_rustls",
    "hyper_rustls",
    "tokio_postgres_rustls",
];

fn init_tracing(verbose: u8, log_file: Option<&std::path::Path>) {
    use tracing_subscriber::EnvFilter;
    // The TLS libraries log a refused certificate as an ERROR line of their own; the step's
    // error already says it, so their lines belong to -v.
    let (own, tls) = match verbose {
        0 => ("warn", "off"),
        1 => ("runbook=info", "warn"),
        _ => ("runbook=debug", "debug"),
    };
    let default = TLS_LOG_TARGETS
        .iter()
        .fold(own.to_string(), |filter, target| {
            format!("{filter},{target}={tls}")
        });
    let filter = EnvFilter::try_from_env("RUNBOOK_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let file = log_file.and_then(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()
    });
    let _ = match file {
        Some(file) => builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init(),
        None => builder
            .with_ansi(crate::output::style::understands_escapes(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .try_init(),
    };
}
