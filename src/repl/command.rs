//! The REPL's `:commands`: their names, their help, and how a typed line becomes one.

/// A `:command` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Load(String),
    List,
    Params,
    /// `:set NAME VALUE`; a secret is named without a value.
    Set(String, Option<String>),
    Step(String),
    Rollback,
    Plan(Option<String>),
    /// `:dry` alone tells the current mode.
    Dry(Option<bool>),
    Vars,
    Hosts,
    /// `:on TARGET COMMAND`: a shell command on every host of a target.
    On(String, String),
    History,
    Quit,
}

/// Every command with its arguments and what it does, for `:help` and completion.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "", "this list"),
    (
        ":load",
        "FILE",
        "load a runbook: its parameters, secrets, hosts, modules and steps",
    ),
    (":list", "", "the procedures, parameters, secrets and steps"),
    (":params", "", "the parameters and their current values"),
    (
        ":set",
        "NAME VALUE",
        "set a parameter (typed as declared); `:set SECRET` reads a secret again from its source",
    ),
    (
        ":step",
        "ID|PROC.ID",
        "run one step: its guards, confirmation, on its hosts; its rollback is registered",
    ),
    (
        ":rollback",
        "",
        "run the rollbacks registered by :step, newest first",
    ),
    (
        ":plan",
        "[PROC]",
        "what a procedure would do, changing nothing",
    ),
    (
        ":dry",
        "on|off",
        "dry mode: primitives record what they would do instead of acting",
    ),
    (":vars", "", "the variables of this session"),
    (
        ":hosts",
        "",
        "the hosts and groups, and the open connections",
    ),
    (
        ":on",
        "TARGET COMMAND",
        "run a shell command on every host of a host or group, output tagged by host",
    ),
    (":history", "", "the lines typed before"),
    (":quit", "", "leave (Ctrl-D too)"),
];

/// Whether a line is a command rather than rhai.
pub fn is_command(line: &str) -> bool {
    line.trim_start().starts_with(':')
}

/// The command a line names, or what is wrong with it.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let argument = || (!rest.is_empty()).then(|| rest.to_string());
    let required =
        |what: &str| argument().ok_or_else(|| format!("{name} needs {what} (see :help)"));
    let none = |command: Command| {
        if rest.is_empty() {
            Ok(command)
        } else {
            Err(format!("{name} takes no argument"))
        }
    };
    match name {
        ":help" | ":h" | ":?" => none(Command::Help),
        ":load" => required("a file").map(Command::Load),
        ":list" => none(Command::List),
        ":params" => none(Command::Params),
        ":set" => {
            let all = required("a parameter name")?;
            let (param, value) = all.split_once(char::is_whitespace).unwrap_or((&all, ""));
            let value = value.trim();
            Ok(Command::Set(
                param.to_string(),
                (!value.is_empty()).then(|| value.to_string()),
            ))
        }
        ":step" => required("a step id").map(Command::Step),
        ":rollback" => none(Command::Rollback),
        ":plan" => Ok(Command::Plan(argument())),
        ":dry" => match rest {
            "" => Ok(Command::Dry(None)),
            "on" => Ok(Command::Dry(Some(true))),
            "off" => Ok(Command::Dry(Some(false))),
            other => Err(format!(":dry takes on or off, not `{other}`")),
        },
        ":vars" => none(Command::Vars),
        ":hosts" => none(Command::Hosts),
        ":on" => {
            let all = required("a host or group, then a command")?;
            match all.split_once(char::is_whitespace) {
                Some((target, command)) if !command.trim().is_empty() => {
                    Ok(Command::On(target.to_string(), command.trim().to_string()))
                }
                _ => Err(format!(":on {all} needs a command after the target")),
            }
        }
        ":history" => none(Command::History),
        ":quit" | ":q" | ":exit" => none(Command::Quit),
        other => {
            let names = COMMANDS.iter().map(|(n, _, _)| *n);
            let hint = crate::diagnostic::did_you_mean(other, names).map_or_else(
                || " (see :help)".to_string(),
                |c| format!(" (did you mean {c}?)"),
            );
            Err(format!("unknown command {other}{hint}"))
        }
    }
}

/// The text of `:help`.
pub fn help() -> String {
    let mut text = String::from(
        "Type rhai to evaluate it with every primitive (sh, run, docker, query, http_get, …);\n\
         variables and connections persist between lines. Commands:\n",
    );
    let width = COMMANDS
        .iter()
        .map(|(n, a, _)| n.len() + a.len() + 1)
        .max()
        .unwrap_or(0);
    for (name, args, what) in COMMANDS {
        let usage = format!("{name} {args}");
        text.push_str(&format!("  {usage:<width$}  {what}\n"));
    }
    text.push_str(
        "Keys: Tab completes, Ctrl-C cancels the line or the running command, Ctrl-D leaves.\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::{Command, parse};

    #[test]
    fn lines_become_commands() {
        assert_eq!(
            parse(":step deploy.copy"),
            Ok(Command::Step("deploy.copy".into()))
        );
        assert_eq!(
            parse(":set app_dir /srv/my app"),
            Ok(Command::Set("app_dir".into(), Some("/srv/my app".into())))
        );
        assert_eq!(
            parse(":set ssh_key"),
            Ok(Command::Set("ssh_key".into(), None))
        );
        assert_eq!(parse(":dry on"), Ok(Command::Dry(Some(true))));
        assert_eq!(parse(" :plan "), Ok(Command::Plan(None)));
    }

    #[test]
    fn mistakes_are_explained() {
        assert_eq!(
            parse(":stpe x"),
            Err("unknown command :stpe (did you mean :step?)".into())
        );
        assert_eq!(
            parse(":dry maybe"),
            Err(":dry takes on or off, not `maybe`".into())
        );
        assert_eq!(
            parse(":step"),
            Err(":step needs a step id (see :help)".into())
        );
        assert_eq!(parse(":vars x"), Err(":vars takes no argument".into()));
    }
}
