//! Commands that a call of the stdlib or a primitive does exactly: `docker compose up -d
//! --build` is `compose::up(p, #{build: true})`, `curl -f URL` is an HTTP check,
//! `pg_dump -Fc URL > FILE` is `database::dump(url, FILE)`. Anything else, an option the call
//! does not have included, stays a command.

/// A word of a command line as the shell sees it, and the rhai expression that gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    pub text: String,
    pub expr: String,
}

/// What the call runs in: the directory and environment the source set before it.
pub struct Surroundings<'a> {
    pub cwd: Option<&'a str>,
    pub env: &'a [(String, String)],
}

/// `docker compose …` or `docker-compose …` as a `stdlib/compose.rhai` call.
pub fn compose_call(words: &[Word], around: &Surroundings<'_>) -> Option<String> {
    let rest = match words {
        [d, c, rest @ ..] if d.text == "docker" && c.text == "compose" => rest,
        [d, rest @ ..] if d.text == "docker-compose" => rest,
        _ => return None,
    };
    let mut project: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < rest.len() && rest[i].text.starts_with('-') {
        let key = match rest[i].text.as_str() {
            "-f" | "--file" => "file",
            "-p" | "--project-name" => "name",
            _ => return None,
        };
        let value = rest.get(i + 1)?;
        if project.iter().any(|(k, _)| k == key) {
            return None;
        }
        project.push((key.to_string(), value.expr.clone()));
        i += 2;
    }
    if let Some(cwd) = around.cwd {
        project.push(("dir".to_string(), cwd.to_string()));
    }
    if !around.env.is_empty() {
        project.push(("env".to_string(), map(around.env)));
    }
    let p = map(&project);
    let (command, args) = rest[i..].split_first()?;
    let (flags, operands): (Vec<&Word>, Vec<&Word>) =
        args.iter().partition(|w| w.text.starts_with('-'));
    let flag_set: Vec<&str> = flags.iter().map(|w| w.text.as_str()).collect();
    let only = |allowed: &[&str]| flag_set.iter().all(|f| allowed.contains(f));
    let services = || list(&operands);
    let call = match command.text.as_str() {
        "up" if flag_set.iter().any(|f| *f == "-d" || *f == "--detach")
            && only(&[
                "-d",
                "--detach",
                "--build",
                "--force-recreate",
                "--remove-orphans",
            ]) =>
        {
            let mut opts = Vec::new();
            for (flag, key) in [
                ("--build", "build"),
                ("--force-recreate", "force_recreate"),
                ("--remove-orphans", "remove_orphans"),
            ] {
                if flag_set.contains(&flag) {
                    opts.push((key.to_string(), "true".to_string()));
                }
            }
            if !operands.is_empty() {
                opts.push(("services".to_string(), services()));
            }
            with_options("compose::up", &p, &opts)
        }
        "down" if only(&["-v", "--volumes", "--remove-orphans"]) && operands.is_empty() => {
            let mut opts = Vec::new();
            if flag_set.iter().any(|f| *f == "-v" || *f == "--volumes") {
                opts.push(("volumes".to_string(), "true".to_string()));
            }
            if flag_set.contains(&"--remove-orphans") {
                opts.push(("remove_orphans".to_string(), "true".to_string()));
            }
            with_options("compose::down", &p, &opts)
        }
        "ps" | "pull" if args.is_empty() => format!("compose::{}({p})", command.text),
        "restart" if flags.is_empty() && !operands.is_empty() => {
            format!("compose::restart({p}, {})", services())
        }
        "stop" | "start" | "kill" | "build" if flags.is_empty() => {
            format!("compose::{}({p}, {})", command.text, services())
        }
        "rm" if flag_set.iter().all(|f| *f == "-f" || *f == "--force") && !flags.is_empty() => {
            format!("compose::rm({p}, {})", services())
        }
        "exec" => return exec_call(&p, args),
        _ => return None,
    };
    Some(call)
}

/// `compose exec [-T] SERVICE ARGV…` (Compose's `-T` is what a runbook needs: no terminal).
fn exec_call(project: &str, args: &[Word]) -> Option<String> {
    let mut i = 0;
    while args.get(i).is_some_and(|w| w.text == "-T") {
        i += 1;
    }
    let (service, argv) = args.get(i..)?.split_first()?;
    if service.text.starts_with('-') || argv.is_empty() {
        return None;
    }
    let argv: Vec<&Word> = argv.iter().collect();
    Some(format!(
        "compose::exec({project}, {}, {})",
        service.expr,
        list(&argv)
    ))
}

/// `curl -f URL` (with `-s`, `-S`, `-L` or not), from this machine, as an HTTP check.
pub fn http_check(words: &[Word]) -> Option<String> {
    let (curl, args) = words.split_first()?;
    if curl.text != "curl" {
        return None;
    }
    let (flags, urls): (Vec<&Word>, Vec<&Word>) =
        args.iter().partition(|w| w.text.starts_with('-'));
    let mut fail = false;
    for flag in &flags {
        match flag.text.as_str() {
            "--fail" => fail = true,
            "--silent" | "--show-error" | "--location" => {}
            short if !short.starts_with("--") && short[1..].chars().all(|c| "fsSL".contains(c)) => {
                fail |= short.contains('f');
            }
            _ => return None,
        }
    }
    let [url] = urls.as_slice() else { return None };
    let is_url = url.text.starts_with("http://") || url.text.starts_with("https://");
    (fail && is_url).then(|| format!("http_get({}, #{{expect: 200}})", url.expr))
}

/// `pg_dump [-Fc|-Fp] [--no-owner] URL > FILE` (or `-f FILE`) as `database::dump`.
pub fn database_dump(words: &[Word]) -> Option<String> {
    let (tool, args) = words.split_first()?;
    if tool.text != "pg_dump" {
        return None;
    }
    let mut plain = false;
    let mut file: Option<&Word> = None;
    let mut url: Option<&Word> = None;
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        match w.text.as_str() {
            "-Fc" | "--format=custom" | "--format=c" | "-O" | "--no-owner" => {}
            "-Fp" | "--format=plain" | "--format=p" => plain = true,
            "-F" | "--format" => {
                match args.get(i + 1).map(|w| w.text.as_str()) {
                    Some("c" | "custom") => {}
                    Some("p" | "plain") => plain = true,
                    _ => return None,
                }
                i += 1;
            }
            "-f" | "--file" | ">" => {
                file = Some(args.get(i + 1)?);
                i += 1;
            }
            text if text.starts_with('-') => return None,
            text if url.is_none()
                && (text.starts_with("postgres://")
                    || text.starts_with("postgresql://")
                    || w.expr != super::rhai_text::string(text)) =>
            {
                url = Some(w);
            }
            _ => return None,
        }
        i += 1;
    }
    let (url, file) = (url?, file?);
    let opts = if plain { ", #{format: \"plain\"}" } else { "" };
    Some(format!("database::dump({}, {}{opts})", url.expr, file.expr))
}

/// `#{key: value, …}`.
fn map(entries: &[(String, String)]) -> String {
    let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("#{{{}}}", inner.join(", "))
}

/// `[a, b]` of words.
fn list(words: &[&Word]) -> String {
    let inner: Vec<&str> = words.iter().map(|w| w.expr.as_str()).collect();
    format!("[{}]", inner.join(", "))
}

fn with_options(function: &str, project: &str, opts: &[(String, String)]) -> String {
    if opts.is_empty() {
        format!("{function}({project})")
    } else {
        format!("{function}({project}, {})", map(opts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Word> {
        shlex::split(line)
            .unwrap_or_default()
            .into_iter()
            .map(|t| Word {
                expr: super::super::rhai_text::string(&t),
                text: t,
            })
            .collect()
    }

    fn compose(line: &str) -> Option<String> {
        compose_call(
            &words(line),
            &Surroundings {
                cwd: None,
                env: &[],
            },
        )
    }

    #[test]
    fn compose_commands_become_stdlib_calls_when_one_matches() {
        assert_eq!(
            compose("docker compose up -d --build").as_deref(),
            Some("compose::up(#{}, #{build: true})")
        );
        assert_eq!(
            compose("docker-compose -f docker-compose.prod.yaml down -v").as_deref(),
            Some("compose::down(#{file: \"docker-compose.prod.yaml\"}, #{volumes: true})")
        );
        assert_eq!(
            compose("docker compose restart web").as_deref(),
            Some("compose::restart(#{}, [\"web\"])")
        );
        assert_eq!(
            compose("docker compose exec web rails db:migrate").as_deref(),
            Some("compose::exec(#{}, \"web\", [\"rails\", \"db:migrate\"])")
        );
        assert_eq!(compose("docker compose up --build"), None);
        assert_eq!(compose("docker compose logs web"), None);
        assert_eq!(compose("docker compose --env-file x up -d"), None);
        let around = Surroundings {
            cwd: Some("\"/srv/app\""),
            env: &[("TAG".into(), "tag".into())],
        };
        assert_eq!(
            compose_call(&words("docker compose ps"), &around).as_deref(),
            Some("compose::ps(#{dir: \"/srv/app\", env: #{TAG: tag}})")
        );
    }

    #[test]
    fn curl_fail_is_an_http_check_and_pg_dump_a_database_dump() {
        assert_eq!(
            http_check(&words("curl -fsS http://localhost/health")).as_deref(),
            Some("http_get(\"http://localhost/health\", #{expect: 200})")
        );
        assert_eq!(http_check(&words("curl http://localhost/health")), None);
        assert_eq!(http_check(&words("curl -f -X POST http://x")), None);
        assert_eq!(
            database_dump(&words(
                "pg_dump -Fc postgres://app@db/shop > /tmp/shop.dump"
            ))
            .as_deref(),
            Some("database::dump(\"postgres://app@db/shop\", \"/tmp/shop.dump\")")
        );
        assert_eq!(database_dump(&words("pg_dump -U app shop > x.sql")), None);
    }
}
