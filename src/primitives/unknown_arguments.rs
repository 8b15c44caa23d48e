//! An unknown value passed to a primitive where it takes a text: the primitive is called with
//! the value's origin (`⟨output of ls …⟩`), so its action reads as depending on it (a *might*),
//! instead of rhai finding no function for the type. One fallback per name and number of
//! arguments of every primitive and handle method that takes a text, found only when no
//! function matches the arguments' types. Other functions (`starts_with`, `split`…) decide on
//! their arguments: an unknown one still stops the plan there.

use super::NAMES;
use super::docker::DockerHandle;
use super::remote::RemoteHost;
use crate::context::unknown_value::{self, Unknown};
use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, NativeCallContext, Position};
use std::any::TypeId;
use std::collections::BTreeSet;

/// Registers the fallbacks of the primitives and handle methods registered so far.
pub fn register(engine: &mut Engine) {
    let text = TypeId::of::<ImmutableString>();
    let any = TypeId::of::<Dynamic>();
    let handles = [TypeId::of::<DockerHandle>(), TypeId::of::<RemoteHost>()];
    let found = engine.collect_fn_metadata(
        None,
        |info| {
            let f = info.metadata;
            let primitive = NAMES.contains(&f.name.as_str())
                || f.param_types.first().is_some_and(|t| handles.contains(t));
            if !primitive {
                return None;
            }
            let kind = if f.param_types.iter().all(|t| *t == any) {
                Some(false)
            } else if f.param_types.contains(&text) {
                Some(true)
            } else {
                None
            };
            kind.map(|takes_text| (f.name.to_string(), f.param_types.len(), takes_text))
        },
        false,
    );
    // A function whose arguments are all `Dynamic` matches already: no fallback in its place.
    let taken: BTreeSet<(String, usize)> = found
        .iter()
        .filter(|(_, _, takes_text)| !takes_text)
        .map(|(name, count, _)| (name.clone(), *count))
        .collect();
    let wanted: BTreeSet<(String, usize)> = found
        .into_iter()
        .filter(|(_, _, takes_text)| *takes_text)
        .map(|(name, count, _)| (name, count))
        .filter(|key| !taken.contains(key))
        .collect();
    for (name, count) in wanted {
        let called = name.clone();
        engine.register_raw_fn(
            name,
            vec![any; count],
            move |context: NativeCallContext, args: &mut [&mut Dynamic]| {
                with_origins(&context, &called, args)
            },
        );
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
