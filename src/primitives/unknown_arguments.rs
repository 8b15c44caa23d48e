//! An unknown value passed to a primitive where it takes a text: the primitive is called with
//! the value's origin (`⟨output of ls …⟩`), so its action reads as depending on it (a *might*),
//! instead of rhai finding no function for the type. One fallback per primitive name and
//! number of arguments, found only when no primitive matches the arguments' types.

use crate::context::unknown_value::{self, Unknown};
use rhai::{Dynamic, Engine, EvalAltResult, NativeCallContext, Position};
use std::any::TypeId;

/// The most arguments a primitive takes (a method's receiver counted).
const MOST_ARGUMENTS: usize = 4;

/// Registers the fallback of every name in `names`, for every number of arguments.
pub fn register<'a>(engine: &mut Engine, names: impl IntoIterator<Item = &'a &'a str>) {
    for name in names {
        for count in 1..=MOST_ARGUMENTS {
            let owned = (*name).to_string();
            engine.register_raw_fn(
                *name,
                vec![TypeId::of::<Dynamic>(); count],
                move |context: NativeCallContext, args: &mut [&mut Dynamic]| {
                    with_origins(&context, &owned, args)
                },
            );
        }
    }
}

/// Calls `name` again with each unknown argument replaced by its origin. Without an unknown
/// argument, or when the primitive takes no text there, the call fails as rhai's would (no
/// such function), or stops on the unknown value (a use only a real run can decide).
fn with_origins(
    context: &NativeCallContext,
    name: &str,
    args: &mut [&mut Dynamic],
) -> Result<Dynamic, Box<EvalAltResult>> {
    let Some(first) = args
        .iter()
        .find_map(|a| a.read_lock::<Unknown>().map(|u| u.clone()))
    else {
        return Err(not_found(context, name, args));
    };
    let mut known: Vec<Dynamic> = args
        .iter()
        .map(|a| {
            if a.is::<Unknown>() {
                unknown_value::shown(a).into()
            } else {
                (**a).clone()
            }
        })
        .collect();
    let mut known_refs: Vec<&mut Dynamic> = known.iter_mut().collect();
    context
        .call_native_fn_raw(name, false, &mut known_refs)
        .map_err(|e| match *e {
            EvalAltResult::ErrorFunctionNotFound(..) => first.stop(),
            other => other.into(),
        })
}

/// rhai's own error for a call no function matches, worded as rhai words it.
fn not_found(context: &NativeCallContext, name: &str, args: &[&mut Dynamic]) -> Box<EvalAltResult> {
    let types: Vec<&str> = args
        .iter()
        .map(|a| {
            if a.is_string() {
                "&str | ImmutableString | String"
            } else {
                context.engine().map_type_name(a.type_name())
            }
        })
        .collect();
    EvalAltResult::ErrorFunctionNotFound(format!("{name} ({})", types.join(", ")), Position::NONE)
        .into()
}
