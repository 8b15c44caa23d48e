//! The open documents: their current text, and the last version of it that parsed (completion
//! keeps offering its names while the text is half-typed).

use super::document_uri;
use crate::language::ast::Runbook;
use crate::language::parser;
use crate::language::source::SourceFile;
use lsp_types::Uri;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One open document.
pub struct Document {
    /// The path `check` sees: the URI's file, so modules resolve beside it. A document whose
    /// URI names no local file (`untitled:…`, a Windows drive on Unix) is checked under its URI,
    /// so messages name it as the editor does and no file of this machine stands in for it.
    pub path: PathBuf,
    pub text: String,
    pub parsed: Option<(Arc<SourceFile>, Runbook)>,
}

/// The documents the client has opened, by URI.
#[derive(Default)]
pub struct Documents {
    open: HashMap<Uri, Document>,
}

impl Documents {
    /// Sets the text of `uri`, opening it if needed, and returns the document.
    pub fn set(&mut self, uri: &Uri, text: String) -> &Document {
        let path = document_uri::to_path(uri).unwrap_or_else(|| PathBuf::from(uri.as_str()));
        let parsed = parser::load_bytes(&path, text.as_bytes()).ok();
        let document = self.open.entry(uri.clone()).or_insert(Document {
            path,
            text: String::new(),
            parsed: None,
        });
        document.text = text;
        if parsed.is_some() {
            document.parsed = parsed;
        }
        document
    }

    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.open.get(uri)
    }

    pub fn close(&mut self, uri: &Uri) {
        self.open.remove(uri);
    }
}
