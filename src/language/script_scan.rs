//! What the static checks need to know about a compiled body: the variables it reads, the values
//! it publishes, whether it changes the world, and shell strings built by interpolation.

use rhai::{AST, ASTNode, Expr, FnCallExpr, Position, Stmt};

/// Primitives that change the world unless given `#{read: true}`.
const CHANGING: &[&str] = &[
    "sh",
    "write_file",
    "run",
    "upload",
    "download",
    "remote_write",
    "execute",
];
/// Primitives whose first argument is a shell command line.
const SHELL: &[&str] = &["sh", "run"];

#[derive(Debug, Default)]
pub struct Scan {
    /// Plain (not module-qualified) variables read, with where.
    pub variables: Vec<(String, Position)>,
    /// `publish("name", …)` with a literal name.
    pub published: Vec<(String, Position)>,
    /// `publish(expr, …)` whose name is not a literal.
    pub dynamic_publish: Vec<Position>,
    /// A call that changes the world, if any.
    pub first_change: Option<Position>,
    /// Variables interpolated straight into a shell string: `sh(`… ${var} …`)`.
    pub shell_interpolations: Vec<(String, Position)>,
    /// Variables assigned to (`x = …`, `x += …`, `x.field = …`, `x[0] = …`), with where.
    pub assigned: Vec<(String, Position)>,
    /// Names the body declares itself (`let x`, `const x`): its own, whatever is outside.
    pub declared: Vec<String>,
}

pub fn scan(ast: &AST) -> Scan {
    let mut out = Scan::default();
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(
                ASTNode::Expr(Expr::FnCall(call, pos)) | ASTNode::Stmt(Stmt::FnCall(call, pos)),
            ) => {
                visit_call(call, *pos, &mut out);
            }
            Some(ASTNode::Expr(Expr::Variable(x, _, pos))) if x.2.is_empty() => {
                out.variables.push((x.1.to_string(), *pos));
            }
            Some(ASTNode::Stmt(Stmt::Var(var, ..))) => {
                out.declared.push(var.0.name.to_string());
            }
            Some(ASTNode::Stmt(Stmt::Assignment(assignment))) => {
                if let Some(assigned) = assigned_variable(&assignment.1.lhs) {
                    out.assigned.push(assigned);
                }
            }
            _ => {}
        }
        true
    });
    out
}

fn visit_call(call: &FnCallExpr, pos: Position, out: &mut Scan) {
    if !call.namespace.is_empty() {
        return;
    }
    let name = call.name.as_str();
    if name == "publish" {
        match call.args.first() {
            Some(Expr::StringConstant(s, p)) => out.published.push((s.to_string(), *p)),
            _ => out.dynamic_publish.push(pos),
        }
    }
    if CHANGING.contains(&name) && !marks_read(call.args.get(1)) && out.first_change.is_none() {
        out.first_change = Some(pos);
    }
    if SHELL.contains(&name)
        && let Some(Expr::InterpolatedString(parts, _)) = call.args.first()
    {
        for part in parts {
            if let Expr::Variable(x, _, p) = part
                && x.2.is_empty()
            {
                out.shell_interpolations.push((x.1.to_string(), *p));
            }
        }
    }
}

/// The variable an assignment's target starts from: `x` of `x`, `x.a.b` or `x[0]`.
fn assigned_variable(target: &Expr) -> Option<(String, Position)> {
    match target {
        Expr::Variable(x, _, pos) if x.2.is_empty() => Some((x.1.to_string(), *pos)),
        Expr::Dot(pair, ..) | Expr::Index(pair, ..) => assigned_variable(&pair.lhs),
        _ => None,
    }
}

/// `#{read: true, …}` written as a literal.
fn marks_read(options: Option<&Expr>) -> bool {
    match options {
        Some(Expr::Map(map, _)) => map
            .0
            .iter()
            .any(|(key, value)| key.name == "read" && matches!(value, Expr::BoolConstant(true, _))),
        // The compiler folds a literal map of constants into one value.
        Some(Expr::DynamicConstant(value, _)) => value
            .read_lock::<rhai::Map>()
            .is_some_and(|map| map.get("read").and_then(|v| v.as_bool().ok()) == Some(true)),
        _ => false,
    }
}
