//! A `switch` on an unknown value stops the plan of its step, as any decision does. rhai takes
//! the default branch of a `switch` whose value it cannot hash (an unknown value), and has no
//! hook for it; so the debugger stops at each `switch` of the compiled bodies and looks at its
//! subject first, when it is a name or a field of one (looking again cannot run anything).

use crate::context::unknown_value::Unknown;
use rhai::debugger::{BreakPoint, DebuggerCommand};
use rhai::{AST, ASTNode, Dynamic, Engine, EvalContext, Expr, Map, Position, Stmt};
use std::sync::{Arc, Mutex, PoisonError};

/// Where the `switch` statements of the compiled bodies are.
#[derive(Clone, Default)]
pub struct Switches(Arc<Mutex<Vec<Position>>>);

impl Switches {
    /// Adds the `switch` statements of `ast`.
    pub fn add(&self, ast: &AST) {
        let mut found = Vec::new();
        ast.walk(&mut |path: &[ASTNode]| {
            if let Some(ASTNode::Stmt(Stmt::Switch(_, at))) = path.last() {
                found.push(*at);
            }
            true
        });
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(found);
    }

    fn positions(&self) -> Vec<Position> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Stops each evaluation of `engine` at the `switch` statements of `switches`.
#[allow(deprecated)] // rhai marks its debugger interface as volatile, not deprecated
pub fn register(engine: &mut Engine, switches: Switches) {
    engine.register_debugger(
        move |_, mut debugger| {
            for pos in switches.positions() {
                debugger.break_points_mut().push(BreakPoint::AtPosition {
                    source: None,
                    pos,
                    enabled: true,
                });
            }
            debugger
        },
        |context, _, node, _, _| {
            if let ASTNode::Stmt(Stmt::Switch(x, _)) = node
                && let Some(value) = subject(&context, &x.0)
                && let Some(unknown) = value.read_lock::<Unknown>()
            {
                let mut stop = unknown.stop();
                stop.set_position(x.0.start_position());
                return Err(stop);
            }
            Ok(DebuggerCommand::Continue)
        },
    );
}

/// The value of a `switch` subject that is a name or a field of one; none for anything else.
fn subject(context: &EvalContext, expr: &Expr) -> Option<Dynamic> {
    match expr {
        Expr::Variable(x, ..) if x.2.is_empty() => context.scope().get_value::<Dynamic>(&x.1),
        Expr::Dot(x, ..) => {
            let Expr::Property(p, _) = &x.rhs else {
                return None;
            };
            let owner = subject(context, &x.lhs)?;
            if owner.is::<Unknown>() {
                return Some(owner);
            }
            owner.read_lock::<Map>()?.get(p.2.as_str()).cloned()
        }
        _ => None,
    }
}
