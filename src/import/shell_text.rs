//! Shell as documents show it: a code block cut into the command lines an operator would type
//! (prompts stripped, continuation lines joined, here-documents and `if … fi` kept whole), its
//! comments, and whether an inline code span is a command at all.

/// One logical line of a shell block.
#[derive(Debug, Clone, PartialEq)]
pub enum ShellLine {
    /// A command as typed; several lines for a here-document or a compound command.
    /// `complete` is false when the block ends inside it (an unclosed quote or here-document).
    Command {
        text: String,
        line: usize,
        complete: bool,
    },
    /// A `# comment`.
    Comment { text: String, line: usize },
    /// A numbered comment (`# 1. Se connecter au serveur`): a step of its own.
    StepMark { title: String, line: usize },
    /// What a `console` block shows a command printed.
    Output { text: String, line: usize },
}

/// Languages of fenced blocks whose lines are commands.
pub fn is_shell(lang: &str) -> bool {
    matches!(
        lang,
        "bash" | "sh" | "shell" | "console" | "zsh" | "shell-session" | "shellsession" | "terminal"
    )
}

/// Commands operations documents name in prose, for telling `docker compose ps` from
/// `docker-compose.yml` in an inline code span.
const COMMAND_WORDS: &[&str] = &[
    "ansible",
    "ansible-playbook",
    "apt",
    "apt-get",
    "aws",
    "az",
    "bash",
    "brew",
    "bundle",
    "cargo",
    "cat",
    "cd",
    "celery",
    "certbot",
    "chmod",
    "chown",
    "cp",
    "crontab",
    "curl",
    "date",
    "df",
    "dig",
    "docker",
    "docker-compose",
    "du",
    "echo",
    "etcdctl",
    "export",
    "find",
    "gcloud",
    "git",
    "grep",
    "gunicorn",
    "head",
    "helm",
    "journalctl",
    "kill",
    "kubectl",
    "less",
    "ln",
    "ls",
    "make",
    "mc",
    "mkdir",
    "mv",
    "mysql",
    "mysqldump",
    "nc",
    "nginx",
    "node",
    "npm",
    "openssl",
    "patronictl",
    "pg_basebackup",
    "pg_ctl",
    "pg_ctlcluster",
    "pg_dump",
    "pg_dumpall",
    "pg_isready",
    "pg_restore",
    "ping",
    "pip",
    "podman",
    "ps",
    "psql",
    "python",
    "python3",
    "rails",
    "rake",
    "redis-cli",
    "rm",
    "rsync",
    "scp",
    "sed",
    "service",
    "sh",
    "sleep",
    "source",
    "ss",
    "ssh",
    "stripe",
    "sudo",
    "supervisorctl",
    "systemctl",
    "tail",
    "tar",
    "terraform",
    "test",
    "top",
    "touch",
    "vault",
    "watch",
    "wget",
    "yarn",
];

/// Whether an inline code span is a command line rather than a file name, a URL or a value.
pub fn is_command(code: &str) -> bool {
    let mut words = code
        .split_whitespace()
        .skip_while(|w| is_assignment(w))
        .peekable();
    let Some(first) = words.next() else {
        return false;
    };
    let has_more = words.peek().is_some();
    if first.starts_with("./") || first.starts_with("~/") {
        return true;
    }
    if first.contains('/') && first.ends_with(".sh") {
        return true;
    }
    COMMAND_WORDS.contains(&first) && (has_more || matches!(first, "ls" | "ps" | "df" | "top"))
}

/// `NAME=value`, as a shell assignment.
pub fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// The logical lines of a shell block whose first line is `first_line` in the document.
pub fn lines(code: &str, lang: &str, first_line: usize) -> Vec<ShellLine> {
    let console = matches!(
        lang,
        "console" | "shell-session" | "shellsession" | "terminal"
    );
    let mut out = Vec::new();
    let mut pending: Option<Pending> = None;
    for (index, raw) in code.lines().enumerate() {
        let line = first_line + index;
        if let Some(mut p) = pending.take() {
            p.add(raw);
            if p.done() {
                out.push(p.finish());
            } else {
                pending = Some(p);
            }
            continue;
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() || (index == 0 && trimmed.starts_with("#!")) {
            continue;
        }
        let command = match strip_prompt(trimmed, console) {
            Some(command) => command,
            None if console => {
                out.push(ShellLine::Output {
                    text: trimmed.to_string(),
                    line,
                });
                continue;
            }
            None => trimmed,
        };
        if let Some(comment) = command.strip_prefix('#') {
            let comment = comment.trim();
            out.push(match step_title(comment) {
                Some(title) => ShellLine::StepMark { title, line },
                None => ShellLine::Comment {
                    text: comment.to_string(),
                    line,
                },
            });
            continue;
        }
        let p = Pending::new(command, line);
        if p.done() {
            out.push(p.finish());
        } else {
            pending = Some(p);
        }
    }
    if let Some(mut p) = pending {
        p.complete = false;
        out.push(p.finish());
    }
    out
}

/// The command after a prompt (`$ `, `# ` in a console block, `user@host:~$ `); `None` when
/// the line has no prompt.
fn strip_prompt(line: &str, console: bool) -> Option<&str> {
    if let Some(rest) = line.strip_prefix("$ ") {
        return Some(rest.trim_start());
    }
    if console && let Some(rest) = line.strip_prefix("# ") {
        return Some(rest.trim_start());
    }
    if let Some((prompt, rest)) = line.split_once(' ') {
        let shaped = prompt.contains('@')
            && prompt.contains(':')
            && (prompt.ends_with('$') || prompt.ends_with('#'));
        if shaped {
            return Some(rest.trim_start());
        }
    }
    if console { None } else { Some(line) }
}

/// The title of a numbered comment: `1. Title`, `2) Title`, `Step 3: Title`, `Étape 4 - Title`.
fn step_title(comment: &str) -> Option<String> {
    let lower = comment.to_lowercase();
    let rest = ["step ", "étape ", "etape "]
        .iter()
        .find_map(|w| lower.starts_with(w).then(|| &comment[w.len()..]))
        .unwrap_or(comment);
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 3 {
        return None;
    }
    let after = rest[digits..].trim_start();
    let title = after
        .strip_prefix(['.', ')', ':', '-'])
        .or_else(|| (rest.len() < comment.len()).then_some(after))?
        .trim();
    (!title.is_empty()).then(|| title.to_string())
}

/// A command being gathered over several lines.
struct Pending {
    text: String,
    line: usize,
    complete: bool,
    /// The delimiter of an open here-document.
    heredoc: Option<String>,
    /// Open `if`, `case` and `do` blocks.
    depth: i32,
}

impl Pending {
    fn new(first: &str, line: usize) -> Self {
        let mut p = Self {
            text: String::new(),
            line,
            complete: true,
            heredoc: None,
            depth: 0,
        };
        p.add_code(first);
        p
    }

    /// Adds the next raw line of the block.
    fn add(&mut self, raw: &str) {
        if let Some(delimiter) = &self.heredoc {
            let done = raw.trim() == delimiter;
            self.text.push('\n');
            self.text.push_str(raw);
            if done {
                self.heredoc = None;
            }
            return;
        }
        if self.text.ends_with('\\') {
            // A continuation line: joined with one space.
            self.text.pop();
            let kept = self.text.trim_end().len();
            self.text.truncate(kept);
            self.text.push(' ');
            self.add_code(raw.trim());
        } else if ends_with_operator(&self.text) {
            self.text.push(' ');
            self.add_code(raw.trim());
        } else {
            self.text.push('\n');
            self.add_code(raw.trim_end());
        }
    }

    fn add_code(&mut self, code: &str) {
        self.text.push_str(code);
        if let Some(delimiter) = heredoc_delimiter(code) {
            self.heredoc = Some(delimiter);
        }
        for word in code.split(|c: char| c.is_whitespace() || c == ';') {
            match word {
                "if" | "case" | "do" => self.depth += 1,
                "fi" | "esac" | "done" => self.depth -= 1,
                _ => {}
            }
        }
    }

    fn done(&self) -> bool {
        self.heredoc.is_none()
            && self.depth <= 0
            && !self.text.ends_with('\\')
            && !ends_with_operator(&self.text)
            && quotes_closed(&self.text)
    }

    fn finish(self) -> ShellLine {
        ShellLine::Command {
            complete: self.complete && self.done(),
            text: self.text,
            line: self.line,
        }
    }
}

fn ends_with_operator(text: &str) -> bool {
    let t = text.trim_end();
    t.ends_with("&&") || t.ends_with("||") || (t.ends_with('|') && !t.ends_with("\\|"))
}

/// The delimiter of a here-document opened on this line (`<<EOF`, `<<-'EOF'`), not `<<<`.
fn heredoc_delimiter(code: &str) -> Option<String> {
    let at = code.find("<<")?;
    let rest = &code[at + 2..];
    if rest.starts_with('<') {
        return None;
    }
    let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
    let word: String = rest
        .trim_start_matches(['\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

/// Whether single and double quotes balance (backslash escapes outside single quotes).
fn quotes_closed(text: &str) -> bool {
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
            _ => {}
        }
    }
    !single && !double
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(code: &str, lang: &str) -> Vec<String> {
        lines(code, lang, 1)
            .into_iter()
            .filter_map(|l| match l {
                ShellLine::Command { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn prompts_are_stripped_and_continuations_joined() {
        let code = "$ docker compose \\\n    up -d\nuser@vm:~$ ls -la\n# a comment\nkubectl get pods |\n  grep web\n";
        assert_eq!(
            commands(code, "bash"),
            [
                "docker compose up -d",
                "ls -la",
                "kubectl get pods | grep web"
            ]
        );
        let console = "$ psql -c 'select 1'\n ?column?\n# systemctl restart app\n";
        assert_eq!(
            commands(console, "console"),
            ["psql -c 'select 1'", "systemctl restart app"]
        );
    }

    #[test]
    fn here_documents_and_compound_commands_stay_whole() {
        let code = "ssh deploy@$VM_HOST << EOF\n  cd /opt\n  ls\nEOF\nif true; then\n  echo a\nfi\necho 'open\n";
        let lines = lines(code, "bash", 10);
        assert_eq!(lines.len(), 3);
        assert!(
            matches!(&lines[0], ShellLine::Command { text, complete: true, line: 10 } if text.ends_with("EOF"))
        );
        assert!(matches!(&lines[1], ShellLine::Command { text, .. } if text.ends_with("fi")));
        assert!(matches!(
            &lines[2],
            ShellLine::Command {
                complete: false,
                ..
            }
        ));
    }

    #[test]
    fn numbered_comments_are_steps() {
        assert_eq!(
            step_title("1. Se connecter au serveur").as_deref(),
            Some("Se connecter au serveur")
        );
        assert_eq!(step_title("Step 2: Drain").as_deref(), Some("Drain"));
        assert_eq!(step_title("Sauvegarde rapide de la DB"), None);
        assert_eq!(step_title("2025 was a year"), None);
    }

    #[test]
    fn inline_code_is_a_command_only_when_it_reads_as_one() {
        assert!(is_command("docker compose logs -f web"));
        assert!(is_command("SSH_HOST=... ./scripts/deploy_vm.sh"));
        assert!(!is_command("docker-compose.yml"));
        assert!(!is_command("SSH_KEY=~/.ssh/id_rsa"));
        assert!(!is_command("http://localhost:3000/health"));
        assert!(!is_command("docker"));
    }
}
