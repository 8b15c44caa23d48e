//! Reading an inventory file from disk, with errors that point into it.

use super::inventory::{self, Inventory};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::source::{SourceFile, Span};
use std::path::Path;
use std::sync::Arc;

/// Reads and parses an Ansible INI inventory.
pub fn load(path: &Path) -> Result<Inventory, Diagnostic> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error(format!("cannot read the inventory: {e}"))
            .in_file(path.display().to_string())
    })?;
    inventory::parse(&text).map_err(|e| {
        let source = Arc::new(SourceFile::new(path, text.as_str()));
        Diagnostic::error(format!("inventory: {}", e.message)).at(&source, Span::new(e.at, 1))
    })
}
