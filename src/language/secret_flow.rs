//! Where a secret reaches a command line: `ps` and `/proc/PID/cmdline` show every process's
//! arguments to every user of the machine (and of a container's host), whatever runbook masks
//! in its own output. A body's values built from a secret — interpolated, concatenated, put in
//! an array or a map, pushed onto a list, assigned — are followed to the command argument of
//! `sh`, `run`, `exec` and the Compose calls. A function's result is not followed: what it
//! does with its arguments is its own business (`pg_env(url)` is how a URL's password is meant
//! to travel).

use rhai::{AST, ASTNode, Expr, FnCallExpr, Position, Stmt};
use std::collections::BTreeMap;

/// A secret on its way to a command line.
#[derive(Debug, PartialEq)]
pub struct Leak {
    /// The secret declared by the runbook.
    pub secret: String,
    /// The call whose command line carries it (`sh`, `compose::exec`, …).
    pub call: String,
    /// Where the command argument is.
    pub at: Position,
}

/// The calls whose command line `ps` shows, and which of their arguments is that command line.
fn command_argument(call: &FnCallExpr) -> Option<usize> {
    let namespace = call.namespace.to_string();
    match (namespace.as_str(), call.name.as_str()) {
        ("", "sh" | "run") => Some(0),
        ("", "exec") => Some(1),
        ("compose", "exec") => Some(2),
        ("compose", "compose") => Some(1),
        _ => None,
    }
}

/// Every place in `ast` where a value built from one of `secrets` is a command line.
pub fn leaks(ast: &AST, secrets: &[String]) -> Vec<Leak> {
    // Which variables carry which secret; locals join as they are assigned from one, until
    // nothing changes (a body is short: a few rounds).
    let mut carriers: BTreeMap<String, String> =
        secrets.iter().map(|s| (s.clone(), s.clone())).collect();
    for _ in 0..8 {
        let before = carriers.len();
        ast.walk(&mut |path: &[ASTNode]| {
            if let Some(ASTNode::Stmt(stmt)) = path.last()
                && let Some((name, secret)) = assigned(stmt, &carriers)
            {
                carriers.entry(name).or_insert(secret);
            }
            if let Some(ASTNode::Expr(Expr::Dot(dot, ..))) = path.last()
                && let (Expr::Variable(list, ..), Expr::MethodCall(call, _)) = (&dot.lhs, &dot.rhs)
                && matches!(call.name.as_str(), "push" | "append" | "insert")
                && let Some(secret) = call.args.iter().find_map(|a| carried(a, &carriers))
            {
                carriers.entry(list.1.to_string()).or_insert(secret);
            }
            true
        });
        if carriers.len() == before {
            break;
        }
    }
    let mut found = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        let call = match path.last() {
            Some(
                ASTNode::Expr(Expr::FnCall(call, _) | Expr::MethodCall(call, _))
                | ASTNode::Stmt(Stmt::FnCall(call, _)),
            ) => call,
            _ => return true,
        };
        if let Some(index) = command_argument(call)
            && let Some(argument) = call.args.get(index)
            && let Some(secret) = carried(argument, &carriers)
        {
            let namespace = call.namespace.to_string();
            found.push(Leak {
                secret,
                call: if namespace.is_empty() {
                    call.name.to_string()
                } else {
                    format!("{namespace}::{}", call.name)
                },
                at: argument.start_position(),
            });
        }
        true
    });
    found
}

/// `let x = …` or `x = …` / `x += …` from a value that carries a secret: `x` and the secret.
fn assigned(stmt: &Stmt, carriers: &BTreeMap<String, String>) -> Option<(String, String)> {
    match stmt {
        Stmt::Var(var, ..) => {
            carried(&var.1, carriers).map(|secret| (var.0.name.to_string(), secret))
        }
        Stmt::Assignment(assignment) => match &assignment.1.lhs {
            Expr::Variable(name, ..) => {
                carried(&assignment.1.rhs, carriers).map(|secret| (name.1.to_string(), secret))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The secret a value is built from, if any: through interpolation, operators, arrays, maps,
/// fields and indexes, not through the result of a function.
fn carried(expr: &Expr, carriers: &BTreeMap<String, String>) -> Option<String> {
    match expr {
        Expr::Variable(name, ..) if name.2.is_empty() => carriers.get(name.1.as_str()).cloned(),
        Expr::InterpolatedString(parts, _) | Expr::Array(parts, _) => {
            parts.iter().find_map(|p| carried(p, carriers))
        }
        Expr::Map(map, _) => map.0.iter().find_map(|(_, v)| carried(v, carriers)),
        Expr::FnCall(call, _) if call.op_token.is_some() => {
            call.args.iter().find_map(|a| carried(a, carriers))
        }
        Expr::Dot(pair, ..) | Expr::Index(pair, ..) => carried(&pair.lhs, carriers),
        Expr::And(items, _) | Expr::Or(items, _) | Expr::Coalesce(items, _) => {
            items.iter().find_map(|i| carried(i, carriers))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaks_in(code: &str) -> Vec<(String, String)> {
        let engine = rhai::Engine::new_raw();
        let mut scope = rhai::Scope::new();
        for name in ["db", "token", "app"] {
            scope.push(name, ());
        }
        let ast = engine.compile_with_scope(&scope, code).expect("compiles");
        leaks(&ast, &["db".into(), "token".into()])
            .into_iter()
            .map(|l| (l.secret, l.call))
            .collect()
    }

    fn one(secret: &str, call: &str) -> Vec<(String, String)> {
        vec![(secret.to_string(), call.to_string())]
    }

    #[test]
    fn a_secret_in_a_shell_string_or_an_argv_is_found() {
        assert_eq!(
            leaks_in("sh(`curl -u admin:${token} x`)"),
            one("token", "sh")
        );
        assert_eq!(leaks_in(r#"run(["psql", db])"#), one("db", "run"));
        assert_eq!(leaks_in(r#"sh("mysql -p" + db)"#), one("db", "sh"));
    }

    #[test]
    fn values_built_from_a_secret_carry_it() {
        let code = r#"
            let header = `Authorization: ${token}`;
            let argv = ["curl", "-H"];
            argv.push(header);
            sh(argv);
        "#;
        assert_eq!(leaks_in(code), one("token", "sh"));
        assert_eq!(
            leaks_in(r#"let c = #{pw: db}; exec("box", ["env", c.pw])"#),
            one("db", "exec")
        );
        assert_eq!(
            leaks_in(r#"compose::exec(p, "db", ["psql", `postgres://${db}`])"#),
            one("db", "compose::exec")
        );
    }

    #[test]
    fn the_environment_and_standard_input_are_the_right_way() {
        assert!(leaks_in(r#"sh(["psql"], #{env: #{PGPASSWORD: db}})"#).is_empty());
        assert!(leaks_in(r#"sh(["vault", "login", "-"], #{stdin: token})"#).is_empty());
        assert!(leaks_in(r#"sh(["psql"], #{env: pg_env(db)})"#).is_empty());
        assert!(leaks_in(r#"sh(`echo ${app}`)"#).is_empty());
        // A function's result is not followed.
        assert!(leaks_in(r#"let e = pg_env(db); sh(["psql", "-l"], #{env: e})"#).is_empty());
    }
}
