//! A rhai error explained for the operator: one sentence, where in the body it happened, and
//! the kind of failure (carried by the error value's tag, see `diagnostic::error_kind`). The
//! one explanation used by the runner, the tracer and the REPL.

use crate::context::unknown_value::{self, STOP_SENTENCE, STOP_TAG, TYPE_NAME, Unknown};
use crate::diagnostic::error_kind::ErrorKind;
use rhai::{EvalAltResult, Position};

/// What a failed evaluation tells.
#[derive(Debug)]
pub struct Explained {
    /// With the functions and modules it happened in.
    pub message: String,
    /// Only the innermost sentence (pages say what stopped, not where inside the helpers).
    pub sentence: String,
    /// In the text that was evaluated (a body, a REPL line); none when rhai gives none.
    pub position: Option<Position>,
    pub kind: ErrorKind,
    /// The failure is a decision taken on a value only a real run knows (see
    /// `context::unknown_value`).
    pub on_unknown: bool,
}

/// rhai names a closure `anon$` and a hash: no name for the operator.
const CLOSURE_PREFIX: &str = "anon$";

/// A rhai error as a sentence, where it happened, and its kind.
pub fn explain(mut error: EvalAltResult) -> Explained {
    let position = error.take_position();
    let position = (!position.is_none()).then_some(position);
    let plain = |message: String, kind| Explained {
        sentence: message.clone(),
        message,
        position,
        kind,
        on_unknown: false,
    };
    let within = |inner: Explained, context: String| Explained {
        message: format!("{} {context}", inner.message),
        position,
        ..inner
    };
    match error {
        EvalAltResult::ErrorTerminated(value, _) if value.tag() == STOP_TAG => Explained {
            on_unknown: true,
            ..plain(
                format!("{STOP_SENTENCE}{}", unknown_value::shown(&value)),
                ErrorKind::Script,
            )
        },
        EvalAltResult::ErrorRuntime(value, _) => plain(
            value.to_string(),
            ErrorKind::from_tag(value.tag()).unwrap_or(ErrorKind::Script),
        ),
        EvalAltResult::ErrorTerminated(value, _) => plain(
            value.to_string(),
            ErrorKind::from_tag(value.tag()).unwrap_or(ErrorKind::Interrupted),
        ),
        // A closure is part of the body that wrote it: the statement that failed inside it is
        // the place, not the call that ran the closure (`transaction(db, || …)`).
        EvalAltResult::ErrorInFunctionCall(name, _, inner, _)
            if name.starts_with(CLOSURE_PREFIX) =>
        {
            let inner = explain(*inner);
            Explained {
                position: inner.position.or(position),
                ..inner
            }
        }
        EvalAltResult::ErrorInFunctionCall(name, _, inner, _) => {
            let inner = explain(*inner);
            if name.starts_with('<') {
                Explained { position, ..inner }
            } else {
                within(inner, format!("(in `{name}`)"))
            }
        }
        EvalAltResult::ErrorInModule(name, inner, _) => {
            within(explain(*inner), format!("(in module `{name}`)"))
        }
        EvalAltResult::ErrorTooManyOperations(_) => plain(
            format!(
                "stopped after {} operations: is there an endless loop?",
                super::script_engine::MAX_OPERATIONS
            ),
            ErrorKind::Timeout,
        ),
        EvalAltResult::ErrorFunctionNotFound(signature, _)
            if !signature.contains(TYPE_NAME)
                && !signature.contains(std::any::type_name::<Unknown>()) =>
        {
            plain(missing_function(&signature), ErrorKind::Script)
        }
        // rhai names the type of an unknown value when nothing is registered for a use of it
        // (`if`, `&&`, a function of its own), and has no name in a `for` over one.
        other @ EvalAltResult::ErrorFor(..) => Explained {
            on_unknown: true,
            ..plain(other.to_string(), ErrorKind::Script)
        },
        // Where a `bool` is needed (`if`, `&&`, `||`), rhai names the Rust type.
        other => {
            let message = other.to_string();
            Explained {
                on_unknown: message.contains(TYPE_NAME)
                    || message.contains(std::any::type_name::<Unknown>()),
                ..plain(message, ErrorKind::Script)
            }
        }
    }
}

/// rhai's `http_getx (&str | ImmutableString | String, i64)` in the language's words:
/// ``no function `http_getx` takes (string, int)``.
fn missing_function(signature: &str) -> String {
    let (name, types) = match signature.split_once(" (") {
        Some((name, rest)) => (name, rest.strip_suffix(')').unwrap_or(rest)),
        None => (signature, ""),
    };
    let types: Vec<&str> = if types.is_empty() {
        Vec::new()
    } else {
        types.split(", ").map(language_type).collect()
    };
    format!("no function `{name}` takes ({})", types.join(", "))
}

/// The name a runbook author knows for one of rhai's Rust type names.
fn language_type(rust: &str) -> &str {
    match rust {
        "&str | ImmutableString | String" | "string" => "string",
        "i64" | "i32" | "u64" | "usize" => "int",
        "f64" | "f32" => "float",
        "bool" => "bool",
        "char" => "char",
        "()" => "()",
        other if other.ends_with("Map") => "map",
        other if other.ends_with("Array") || other.starts_with("Vec<") => "array",
        other if other.ends_with("FnPtr") => "function pointer",
        other if other.ends_with("Blob") => "blob",
        other => other.rsplit("::").next().unwrap_or(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rhai::{Dynamic, Engine};

    fn failing(script: &str) -> Explained {
        let mut engine = Engine::new();
        engine.register_fn("refuse", || -> Result<(), Box<EvalAltResult>> {
            let mut value = Dynamic::from("no route to host".to_string());
            value.set_tag(ErrorKind::Unreachable.tag());
            Err(EvalAltResult::ErrorRuntime(value, Position::NONE).into())
        });
        match engine.run(script) {
            Err(e) => explain(*e),
            Ok(()) => panic!("`{script}` did not fail"),
        }
    }

    #[test]
    fn a_failure_inside_a_closure_points_at_its_statement_without_the_closure_name() {
        let e = failing("let f = || {\n  let x = 1;\n  refuse();\n};\nf.call();");
        assert_eq!(e.message, "no route to host");
        assert_eq!(e.kind, ErrorKind::Unreachable);
        assert_eq!(e.position.and_then(|p| p.line()), Some(3));
    }

    #[test]
    fn a_named_function_is_named_and_the_call_is_the_place() {
        let e = failing("fn helper() {\n  refuse();\n}\n\nhelper();");
        assert_eq!(e.message, "no route to host (in `helper`)");
        assert_eq!(e.sentence, "no route to host");
        assert_eq!(e.position.and_then(|p| p.line()), Some(5));
    }

    #[test]
    fn a_missing_function_is_named_in_the_language_s_types() {
        let e = failing("let f = \"nope\"; call(Fn(f), \"u\", 3, #{}, [1]);");
        assert_eq!(
            e.message,
            "no function `nope` takes (string, int, map, array)"
        );
    }

    #[test]
    fn a_thrown_value_is_a_script_error() {
        let e = failing("throw \"nope\";");
        assert_eq!((e.message.as_str(), e.kind), ("nope", ErrorKind::Script));
    }
}
