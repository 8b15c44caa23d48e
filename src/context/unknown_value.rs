//! A value only a real run knows, as a dry-run hands it out: its own rhai type carrying its
//! origin (`⟨output of ls -1td …⟩`). Written into a text (interpolation, `+`, `print`) it reads
//! as its origin, so a command built from it is a "might"; any use that decides something
//! (comparison, arithmetic, string methods, indexing, property access, iteration, conditions,
//! `len`, `parse_*`, conversion) raises a [`STOP_TAG`]ged error that stops the plan of the
//! step at that point.

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, Position};

/// The name rhai gives the type in its messages.
pub const TYPE_NAME: &str = "unknown value";

/// The tag of the error a decision on an unknown value raises (away from the error kinds').
pub const STOP_TAG: i32 = 4242;

/// A value only a real run knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// `⟨what⟩`.
    pub origin: String,
}

impl Unknown {
    /// The error of a decision taken on this value.
    pub fn stop(&self) -> Box<EvalAltResult> {
        stop_error(&self.origin)
    }
}

/// What a stop says before the origin of the value.
pub const STOP_SENTENCE: &str = "the rest of this step depends on ";

/// The error of a decision on the unknown value `origin`. No `try`/`catch` catches it (rhai
/// lets a termination through): in a real run the decision could go either way, so what a
/// `catch` would do next is unknown too, and the plan of the step stops there.
pub fn stop_error(origin: &str) -> Box<EvalAltResult> {
    let mut value = Dynamic::from(Unknown {
        origin: origin.to_string(),
    });
    value.set_tag(STOP_TAG);
    EvalAltResult::ErrorTerminated(value, Position::NONE).into()
}

/// A value as a text: an unknown one as its origin (rhai would name its Rust type).
pub fn shown(value: &Dynamic) -> String {
    value
        .read_lock::<Unknown>()
        .map_or_else(|| value.to_string(), |u| u.origin.clone())
}

/// A value written into a text or a document (a template's variables, a request's JSON body):
/// every unknown value inside it as its origin, so that what is written depends on it.
pub fn written(value: &Dynamic) -> Dynamic {
    if let Some(u) = value.read_lock::<Unknown>() {
        return u.origin.clone().into();
    }
    if let Some(map) = value.read_lock::<Map>() {
        return map
            .iter()
            .map(|(k, v)| (k.clone(), written(v)))
            .collect::<Map>()
            .into();
    }
    if let Some(array) = value.read_lock::<Array>() {
        return array.iter().map(written).collect::<Array>().into();
    }
    value.clone()
}

type Stop = Result<Dynamic, Box<EvalAltResult>>;

/// Operators taking two operands: each stops when either is unknown.
const BINARY: &[&str] = &[
    "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>",
    "contains",
];

/// Methods and functions that look into a value.
const LOOKING: &[&str] = &[
    "len",
    "is_empty",
    "trim",
    "split",
    "lines",
    "to_upper",
    "to_lower",
    "to_int",
    "to_float",
    "to_bool",
    "to_chars",
    "to_array",
    "parse_int",
    "parse_float",
    "parse_json",
    "parse_bool",
    "starts_with",
    "ends_with",
    "index_of",
    "sub_string",
    "replace",
    "split_rev",
    "chars",
    "keys",
    "values",
    "get",
    "filter",
    "map",
    "reduce",
    "contains",
    "crop",
    "truncate",
    "pad",
    "retain",
    "drain",
    "remove",
    "extract",
    "bytes",
    "hash",
    "!",
    "-",
    "+",
];

/// Registers the type and every decision on it.
pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Unknown>(TYPE_NAME);
    engine.register_fn("to_string", |u: &mut Unknown| u.origin.clone());
    engine.register_fn("to_debug", |u: &mut Unknown| u.origin.clone());
    engine.register_fn("print", |u: &mut Unknown| u.origin.clone());
    engine.register_fn("debug", |u: &mut Unknown| u.origin.clone());
    engine.register_fn("+", |s: &str, u: Unknown| format!("{s}{}", u.origin));
    engine.register_fn("+", |u: Unknown, s: &str| format!("{}{s}", u.origin));
    engine.register_indexer_get(|u: &mut Unknown, _: Dynamic| -> Stop { Err(u.stop()) });
    for name in LOOKING {
        engine.register_fn(*name, |u: &mut Unknown| -> Stop { Err(u.stop()) });
        engine.register_fn(*name, |u: &mut Unknown, _: Dynamic| -> Stop {
            Err(u.stop())
        });
        engine.register_fn(*name, |u: &mut Unknown, _: Dynamic, _: Dynamic| -> Stop {
            Err(u.stop())
        });
    }
    // `trimmed` looks into its one text too; registered alone, so `check` still counts one
    // argument for it.
    engine.register_fn("trimmed", |u: &mut Unknown| -> Stop { Err(u.stop()) });
    for name in BINARY {
        engine.register_fn(*name, |u: Unknown, _: Dynamic| -> Stop { Err(u.stop()) });
        engine.register_fn(*name, |_: Dynamic, u: Unknown| -> Stop { Err(u.stop()) });
    }
}
