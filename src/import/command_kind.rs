//! What a command line is, from its words: whether it needs a person at a terminal, whether it
//! only looks, whether it uses shell syntax a call cannot take apart.

/// Why a command needs a person at a terminal, if it does.
pub fn interactive(words: &[&str]) -> Option<&'static str> {
    let has = |flag: &str| words.contains(&flag);
    let first = *words.first()?;
    let second = words.get(1).copied().unwrap_or("");
    let docker_like = matches!(first, "docker" | "docker-compose" | "kubectl" | "podman");
    // `-f` before a subcommand is Compose's file; after `logs`, as for `tail`, it follows.
    let follow_flag = |w: &&str| {
        matches!(*w, "-f" | "-F" | "--follow")
            || (w.len() <= 4 && w.starts_with('-') && !w.starts_with("--") && w.contains('f'))
    };
    let logs_follow = words
        .iter()
        .position(|w| *w == "logs")
        .is_some_and(|at| words[at..].iter().any(follow_flag));
    let tty = words.iter().any(|w| {
        matches!(*w, "-it" | "-ti")
            || (w.starts_with('-')
                && !w.starts_with("--")
                && w.contains('i')
                && w.contains('t')
                && w.len() <= 4)
    });
    if docker_like && logs_follow {
        return Some("it follows the logs until stopped (-f)");
    }
    if matches!(first, "tail" | "journalctl") && words.iter().any(follow_flag) {
        return Some("it follows its output until stopped (-f)");
    }
    if docker_like && tty && words.iter().any(|w| matches!(*w, "exec" | "run")) {
        return Some("it opens an interactive terminal (-it)");
    }
    if (first == "docker" && second == "stats" && !has("--no-stream"))
        || matches!(first, "top" | "htop" | "watch")
    {
        return Some("it refreshes its output until stopped");
    }
    if docker_like
        && words.contains(&"up")
        && !has("-d")
        && !has("--detach")
        && !words.contains(&"run")
    {
        return Some("it runs in the foreground until stopped (without -d)");
    }
    if matches!(first, "vi" | "vim" | "nano" | "emacs" | "less" | "more") {
        return Some("it opens an editor or a pager");
    }
    if docker_like && (has("-w") || has("--watch")) {
        return Some("it watches until stopped (-w)");
    }
    if docker_like && matches!(second, "attach" | "port-forward") {
        return Some("it stays attached until stopped");
    }
    // The command a `compose exec`, `docker exec` or `kubectl exec` opens.
    let inner = match words.iter().position(|w| *w == "exec") {
        Some(at) => {
            let mut rest = &words[at + 1..];
            while rest.first().is_some_and(|w| w.starts_with('-')) {
                rest = &rest[1..];
            }
            rest.get(1..).unwrap_or(&[])
        }
        None => words,
    };
    let inner_first = inner.first().copied().unwrap_or("");
    let django_shell = inner.contains(&"dbshell")
        || (inner.contains(&"manage.py") && inner.contains(&"shell") && !inner.contains(&"-c"))
        || (inner.contains(&"createsuperuser") && !inner.contains(&"--noinput"));
    let console = django_shell
        || match inner_first {
            "sh" | "bash" | "zsh" | "ash" => inner.len() == 1,
            "python" | "python3" | "node" | "irb" | "redis-cli" | "mysql" => inner.len() == 1,
            "psql" => !inner.iter().any(|w| {
                matches!(
                    *w,
                    "-c" | "-f" | "-l" | "--command" | "--file" | "--list" | "<"
                ) || w.starts_with("--command=")
            }),
            "rails" => matches!(inner.get(1).copied(), Some("console" | "c" | "dbconsole")),
            _ => false,
        };
    console.then_some("it opens an interactive console")
}

/// Whether the text has shell syntax outside quotes: pipes, lists, redirections, substitutions.
pub fn has_shell_syntax(text: &str) -> bool {
    let (mut single, mut double, mut escaped) = (false, false, false);
    for c in text.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '`' | '*' | '?' if !single && !double => {
                return true;
            }
            // `$VAR` is a placeholder the word keeps; `$(…)` is a substitution.
            '$' if !single && text.contains("$(") => return true,
            _ => {}
        }
    }
    false
}

/// Commands that only look: a dry-run may run them, and they need no rollback.
pub fn is_read_only(text: &str) -> bool {
    if text.contains('>') || text.contains('\n') {
        return false;
    }
    text.split('|').all(|stage| {
        let words: Vec<&str> = stage.split_whitespace().collect();
        let (first, second) = (
            words.first().copied().unwrap_or(""),
            words.get(1).copied().unwrap_or(""),
        );
        let sub = words
            .iter()
            .skip_while(|w| {
                w.starts_with('-')
                    || w.contains('.')
                    || **w == "compose"
                    || **w == "docker-compose"
                    || **w == "docker"
            })
            .find(|w| !w.starts_with('-'))
            .copied()
            .unwrap_or("");
        match first {
            "ls" | "cat" | "echo" | "grep" | "head" | "df" | "du" | "ps" | "find" | "which"
            | "date" | "dig" | "nslookup" | "pg_isready" | "wc" | "sort" | "uniq" | "awk"
            | "jq" => true,
            "tail" => !words.contains(&"-f"),
            "docker" | "docker-compose" => {
                matches!(
                    sub,
                    "ps" | "images" | "logs" | "inspect" | "version" | "info" | "config" | "top"
                ) || (second == "stats" && words.contains(&"--no-stream"))
            }
            "kubectl" => {
                // The verb, past `-n NAMESPACE`, `--context NAME` and other options.
                let mut rest = words[1..].iter();
                let mut verb = Vec::new();
                while let Some(w) = rest.next() {
                    if matches!(*w, "-n" | "--namespace" | "--context" | "-l" | "-o") {
                        rest.next();
                    } else if !w.starts_with('-') {
                        verb.push(*w);
                    }
                }
                matches!(
                    verb.first().copied(),
                    Some("get" | "describe" | "logs" | "top" | "version" | "explain" | "diff")
                ) || (verb.first() == Some(&"rollout")
                    && matches!(verb.get(1).copied(), Some("status" | "history")))
            }
            "systemctl" => matches!(second, "status" | "is-active" | "is-enabled"),
            "journalctl" => true,
            "git" => matches!(second, "status" | "log" | "diff" | "show"),
            "openssl" => matches!(second, "x509" | "s_client"),
            "helm" => matches!(second, "list" | "status" | "history" | "get"),
            "curl" => !words.iter().any(|w| {
                matches!(
                    *w,
                    "-X" | "-d" | "--data" | "-T" | "-o" | "-O" | "--request"
                )
            }),
            _ => false,
        }
    })
}

/// Whether the last stage of a pipeline is `grep`.
pub fn ends_in_grep(text: &str) -> bool {
    text.contains('|')
        && text
            .rsplit('|')
            .next()
            .is_some_and(|s| s.trim_start().starts_with("grep "))
}
