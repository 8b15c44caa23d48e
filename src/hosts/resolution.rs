//! The hosts and groups a run can act on, resolved once parameters and secrets are known:
//! the runbook's `host` and `group` declarations, its inventory (or `--inventory`), and
//! targets given by parameters (`--param target=deploy@10.0.0.5`).

use super::host_spec::{HostSpec, Identity};
use super::inventory::Inventory;
use super::inventory_file;
use crate::diagnostic::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::language::ast::{HostDecl, LOCAL_TARGET, Procedure, Runbook, Value, ValueAt};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every host by name, and every name a target may use with the hosts it stands for.
#[derive(Debug, Default)]
pub struct Hosts {
    specs: BTreeMap<String, HostSpec>,
    targets: BTreeMap<String, Vec<String>>,
}

/// The values host declarations may read.
pub struct Values<'a> {
    pub params: &'a BTreeMap<String, String>,
    pub secrets: &'a BTreeMap<String, String>,
}

/// Where an inventory comes from.
pub struct Sources<'a> {
    pub runbook: &'a Runbook,
    pub source: &'a Arc<SourceFile>,
    /// `--inventory FILE`, replacing the runbook's own.
    pub inventory: Option<&'a Path>,
    /// Only the targets of this procedure must resolve (all when none).
    pub procedure: Option<&'a Procedure>,
}

impl Hosts {
    /// Resolves every declaration and every `on` target of the runbook; lists all problems.
    pub fn resolve(from: &Sources<'_>, values: &Values<'_>) -> Result<Self, Vec<Diagnostic>> {
        let mut problems = Vec::new();
        let mut hosts = Hosts::default();
        let runbook = from.runbook;
        let inventory = match inventory_path(from, values) {
            Some(path) => match inventory_file::load(&path) {
                Ok(inventory) => Some(inventory),
                Err(d) => {
                    problems.push(d);
                    None
                }
            },
            None => None,
        };
        if let Some(inventory) = &inventory {
            hosts.add_inventory(inventory);
        }
        // A host whose values are missing is a problem only for a procedure that targets it.
        let mut broken: BTreeMap<String, Diagnostic> = BTreeMap::new();
        for decl in &runbook.hosts {
            match declared(decl, values, &runbook.hosts) {
                Ok(spec) => {
                    hosts
                        .targets
                        .insert(spec.name.clone(), vec![spec.name.clone()]);
                    hosts.specs.insert(spec.name.clone(), spec);
                }
                Err(message) => {
                    broken.insert(
                        decl.name.text.clone(),
                        at(from.source, &decl.name.span, message),
                    );
                }
            }
        }
        let mut broken_groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for group in &runbook.groups {
            let mut members = Vec::new();
            for member in &group.members {
                match hosts.targets.get(&member.text) {
                    Some(names) => members.extend(names.iter().cloned()),
                    None if broken.contains_key(&member.text) => broken_groups
                        .entry(group.name.text.clone())
                        .or_default()
                        .push(member.text.clone()),
                    None => problems.push(at(
                        from.source,
                        &member.span,
                        format!("group `{}`: no host `{}`", group.name.text, member.text),
                    )),
                }
            }
            members.dedup();
            hosts.targets.insert(group.name.text.clone(), members);
        }
        let selected: Vec<&Procedure> = match from.procedure {
            Some(p) => vec![p],
            None => runbook.procedures.iter().collect(),
        };
        for procedure in selected {
            let steps = procedure.steps().filter_map(|s| s.target.as_ref());
            for target in procedure.target.iter().chain(steps) {
                let name = &target.name.text;
                let unusable: Vec<&String> = std::iter::once(name)
                    .filter(|n| broken.contains_key(*n))
                    .chain(broken_groups.get(name).into_iter().flatten())
                    .collect();
                if !unusable.is_empty() {
                    for host in unusable {
                        if let Some(d) = broken.get(host) {
                            problems.push(d.clone());
                        }
                    }
                    continue;
                }
                if let Err(message) = hosts.resolve_target(name, values) {
                    problems.push(at(from.source, &target.name.span, message));
                }
            }
        }
        problems.dedup_by(|a, b| a.render(false) == b.render(false));
        if problems.is_empty() {
            Ok(hosts)
        } else {
            Err(problems)
        }
    }

    fn add_inventory(&mut self, inventory: &Inventory) {
        for host in &inventory.hosts {
            let spec = HostSpec {
                name: host.name.clone(),
                address: host.address.clone().unwrap_or_else(|| host.name.clone()),
                user: host.user.clone(),
                port: host.port,
                identity: host
                    .identity
                    .as_ref()
                    .map(|p| Identity::File(expand_home(p))),
                vars: host.vars.clone(),
                ..HostSpec::default()
            };
            self.targets
                .insert(host.name.clone(), vec![host.name.clone()]);
            self.specs.insert(host.name.clone(), spec);
        }
        for (group, members) in &inventory.groups {
            self.targets.insert(group.clone(), members.clone());
        }
    }

    /// Makes `name` (as written after `on`) resolvable; a parameter may name a host or group or
    /// give an address.
    fn resolve_target(&mut self, name: &str, values: &Values<'_>) -> Result<(), String> {
        if name == LOCAL_TARGET || self.targets.contains_key(name) {
            return Ok(());
        }
        let Some(value) = values.params.get(name) else {
            let known = self.targets.keys().map(String::as_str);
            return Err(match did_you_mean(name, known) {
                Some(close) => format!("unknown target `{name}`: did you mean `{close}`?"),
                None => format!("unknown target `{name}`"),
            });
        };
        let hosts = if value == LOCAL_TARGET {
            Vec::new()
        } else if let Some(hosts) = self.targets.get(value) {
            hosts.clone()
        } else {
            let spec = HostSpec::from_address(value, value)
                .map_err(|e| format!("parameter `{name}` does not name a host: {e}"))?;
            self.targets
                .insert(spec.name.clone(), vec![spec.name.clone()]);
            let host = vec![spec.name.clone()];
            self.specs.insert(spec.name.clone(), spec);
            host
        };
        self.targets.insert(name.to_string(), hosts);
        Ok(())
    }

    /// The hosts a target name stands for (empty for `local`).
    pub fn target(&self, name: &str) -> Option<&[String]> {
        if name == LOCAL_TARGET {
            return Some(&[]);
        }
        self.targets.get(name).map(Vec::as_slice)
    }

    /// Every name a target may use: hosts and groups.
    pub fn target_names(&self) -> impl Iterator<Item = &str> {
        self.targets.keys().map(String::as_str)
    }

    pub fn spec(&self, name: &str) -> Option<&HostSpec> {
        self.specs.get(name)
    }

    /// Every host known, by name.
    pub fn specs(&self) -> impl Iterator<Item = &HostSpec> {
        self.specs.values()
    }

    /// Adds a host known only by address (the REPL's `host("user@10.0.0.5")`).
    pub fn add_address(&mut self, address: &str) -> Result<&HostSpec, String> {
        let spec = HostSpec::from_address(address, address)?;
        Ok(self.specs.entry(address.to_string()).or_insert(spec))
    }
}

fn inventory_path(from: &Sources<'_>, values: &Values<'_>) -> Option<PathBuf> {
    if let Some(path) = from.inventory {
        return Some(path.to_path_buf());
    }
    match &from.runbook.inventory.as_ref()?.value {
        Value::Text(path) => Some(from.source.dir().join(path)),
        Value::Ref(name) => values.params.get(name).map(PathBuf::from),
        Value::Int(_) => None,
    }
}

fn at(
    source: &Arc<SourceFile>,
    span: &crate::diagnostic::source::Span,
    message: String,
) -> Diagnostic {
    Diagnostic::error(message).at(source, *span)
}

/// A host declaration with its values filled in.
fn declared(decl: &HostDecl, values: &Values<'_>, all: &[HostDecl]) -> Result<HostSpec, String> {
    let name = &decl.name.text;
    let text = |v: &ValueAt| -> Result<String, String> {
        match &v.value {
            Value::Text(t) => Ok(t.clone()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Ref(r) => values
                .params
                .get(r)
                .cloned()
                .ok_or_else(|| format!("host `{name}`: `{r}` has no value")),
        }
    };
    let address = decl
        .address
        .as_ref()
        .ok_or_else(|| format!("host `{name}` has no address"))?;
    let mut spec =
        HostSpec::from_address(name, &text(address)?).map_err(|e| format!("host `{name}`: {e}"))?;
    if let Some(user) = &decl.user {
        spec.user = Some(text(user)?);
    }
    if let Some(port) = &decl.port {
        let port = text(port)?;
        spec.port = Some(
            port.parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("host `{name}`: `{port}` is not a port"))?,
        );
    }
    if let Some(identity) = &decl.identity {
        spec.identity = Some(match &identity.value {
            Value::Ref(r) if values.secrets.contains_key(r) => {
                let secret = &values.secrets[r];
                if secret.contains("PRIVATE KEY") {
                    Identity::Key(secret.clone())
                } else {
                    Identity::File(expand_home(secret))
                }
            }
            _ => Identity::File(expand_home(&text(identity)?)),
        });
    }
    for jump in &decl.jump {
        let jump = text(jump)?;
        // A bastion may be another declared host.
        let resolved = all
            .iter()
            .find(|h| h.name.text == jump)
            .filter(|h| h.name.text != *name)
            .map(|h| declared(h, values, &[]).map(|s| s.destination()))
            .transpose()?;
        spec.jump.push(resolved.unwrap_or(jump));
    }
    for (option, value) in &decl.options {
        spec.options.push((option.clone(), text(value)?));
    }
    Ok(spec)
}

/// `~/x` → `$HOME/x`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}
