//! Every function a body calls resolves, with the right number of arguments: a primitive, a
//! rhai built-in, a function the body defines, or a function a module exports. A misspelled
//! `database::dumpp(…)` is a `check` error at its line, not a run-time surprise.

use super::reserved_words::RHAI_RESERVED;
use crate::diagnostic::did_you_mean;
use rhai::{AST, ASTNode, Engine, Expr, FnAccess, FnCallExpr, Position, Stmt};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The functions an engine knows: `name` or `module::name`, with the argument counts each
/// accepts.
pub struct KnownFunctions {
    arities: HashMap<String, BTreeSet<usize>>,
}

/// A call that does not resolve.
#[derive(Debug, PartialEq)]
pub struct Unresolved {
    pub at: Position,
    pub message: String,
    pub help: Option<String>,
}

impl KnownFunctions {
    /// Reads the engine's registry once: its own functions, its packages, its static modules.
    pub fn of(engine: &Engine) -> Self {
        let mut arities: HashMap<String, BTreeSet<usize>> = HashMap::new();
        let entries = engine.collect_fn_metadata(
            None,
            |info| {
                let meta = info.metadata;
                if meta.access == FnAccess::Private {
                    return None;
                }
                let name = if info.namespace.is_empty() {
                    meta.name.to_string()
                } else {
                    format!("{}::{}", info.namespace, meta.name)
                };
                Some((name, meta.num_params))
            },
            true,
        );
        for (name, count) in entries {
            arities.entry(name).or_default().insert(count);
        }
        Self { arities }
    }

    /// The calls of `ast` that name no function, or pass a number of arguments none takes.
    pub fn unresolved(&self, ast: &AST) -> Vec<Unresolved> {
        let mut own: HashMap<String, BTreeSet<usize>> = HashMap::new();
        for function in ast.iter_functions() {
            own.entry(function.name.to_string())
                .or_default()
                .insert(function.params.len());
        }
        let locals = local_names(ast);
        let mut found = Vec::new();
        ast.walk(&mut |path: &[ASTNode]| {
            if let Some(
                ASTNode::Expr(Expr::FnCall(call, at)) | ASTNode::Stmt(Stmt::FnCall(call, at)),
            ) = path.last()
                && let Some(problem) = self.resolve(call, *at, &own, &locals)
            {
                found.push(problem);
            }
            true
        });
        found
    }

    fn resolve(
        &self,
        call: &FnCallExpr,
        at: Position,
        own: &HashMap<String, BTreeSet<usize>>,
        locals: &HashSet<String>,
    ) -> Option<Unresolved> {
        if call.op_token.is_some() {
            return None;
        }
        let bare = call.name.as_str();
        let qualified = !call.namespace.is_empty();
        // rhai's parser handles its reserved words called as functions (`print`, `Fn`, …).
        if !qualified && (RHAI_RESERVED.contains(&bare) || locals.contains(bare)) {
            return None;
        }
        let name = if qualified {
            format!("{}::{bare}", call.namespace)
        } else {
            bare.to_string()
        };
        let count = call.args.len();
        let accepted: BTreeSet<usize> = self
            .arities
            .get(&name)
            .into_iter()
            .chain(if qualified { None } else { own.get(bare) })
            .flatten()
            .copied()
            .collect();
        if accepted.contains(&count) {
            return None;
        }
        if accepted.is_empty() {
            let candidates = self
                .arities
                .keys()
                .map(String::as_str)
                .chain(
                    if qualified {
                        None
                    } else {
                        Some(own.keys().map(String::as_str))
                    }
                    .into_iter()
                    .flatten(),
                )
                .filter(|c| c.contains("::") == qualified && !c.contains('$'));
            let help = match did_you_mean(&name, candidates) {
                Some(close) => Some(format!("did you mean `{close}`?")),
                None if qualified => Some(format!(
                    "the module `{}` exports no function `{bare}`",
                    call.namespace
                )),
                None => Some(
                    "define it with `fn`, or call a primitive (see `runbook doc --reference`)"
                        .into(),
                ),
            };
            return Some(Unresolved {
                at,
                message: format!("unknown function `{name}`"),
                help,
            });
        }
        Some(Unresolved {
            at,
            message: format!("`{name}` takes {}, not {count}", arguments(&accepted)),
            help: None,
        })
    }
}

/// `1 argument`, `1 or 2 arguments`, `0, 1 or 3 arguments`.
fn arguments(counts: &BTreeSet<usize>) -> String {
    let words: Vec<String> = counts.iter().map(usize::to_string).collect();
    let list = match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    let plural = if counts.len() == 1 && counts.contains(&1) {
        "argument"
    } else {
        "arguments"
    };
    format!("{list} {plural}")
}

/// Variables and function parameters declared in `ast`: a variable holding a function pointer
/// may be called like a function.
fn local_names(ast: &AST) -> HashSet<String> {
    let mut names: HashSet<String> = ast
        .iter_functions()
        .flat_map(|f| f.params.into_iter().map(str::to_string))
        .collect();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Var(declared, ..))) = path.last() {
            names.insert(declared.0.name.to_string());
        }
        true
    });
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(script: &str) -> Vec<String> {
        let mut engine = Engine::new();
        engine.register_fn("http_get", |_: &str| 1_i64);
        engine.register_fn("http_get", |_: &str, _: rhai::Map| 1_i64);
        let mut module = rhai::Module::new();
        module.set_native_fn("dump", |_: &str| Ok(1_i64));
        engine.register_static_module("database", module.into());
        let known = KnownFunctions::of(&engine);
        let ast = engine.compile(script).expect("compiles");
        known
            .unresolved(&ast)
            .into_iter()
            .map(|u| format!("{} | {}", u.message, u.help.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn known_calls_pass() {
        let script = r#"
            fn twice(x) { x * 2 }
            let f = |x| x + 1;
            let a = http_get("u");
            let b = http_get("u", #{});
            let c = database::dump("x");
            let d = twice(f(1)) + len("abc") + "x".len();
            print(type_of(d));
        "#;
        assert_eq!(problems(script), Vec::<String>::new());
    }

    #[test]
    fn misspelled_and_miscounted_calls_are_named() {
        let found = problems(r#"htttp_get("u"); database::dumpp("x"); http_get("a", #{}, 3);"#);
        assert_eq!(
            found,
            [
                "unknown function `htttp_get` | did you mean `http_get`?",
                "unknown function `database::dumpp` | did you mean `database::dump`?",
                "`http_get` takes 1 or 2 arguments, not 3 | ",
            ]
        );
    }
}
