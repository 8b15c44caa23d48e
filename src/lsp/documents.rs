//! The open documents: their current text, and the last version of it that parsed (completion
//! keeps offering its names while the text is half-typed).

use super::document_uri;
use crate::diagnostic::source::SourceFile;
use crate::language::ast::Runbook;
use crate::language::parser;
use lsp_types::Uri;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One open document.
pub struct Document {
    /// The path `check` sees: the URI's file, so modules resolve beside it. A document whose
    /// URI names no local file (`untitled:…`, a Windows drive on Unix) is checked under its URI
    /// read as a relative path: messages name it as the editor does, and `file:///C:/x/y.rb42`
    /// does not become `/C:/x/y.rb42`, a file of this machine that could exist.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn a_document_is_checked_as_its_file_or_under_its_uri_when_it_names_none_here() {
        let text = "runbook \"r\" {\n  procedure p { step s { log(1); } }\n}\n";
        let mut documents = Documents::default();
        let cases = [
            ("file:///srv/my%20ops/main.rb42", "/srv/my ops/main.rb42"),
            ("file:///C:/ops/main.rb42", "file:///C:/ops/main.rb42"),
            ("untitled:Untitled-1", "untitled:Untitled-1"),
        ];
        for (uri, path) in cases {
            let uri: Uri = uri.parse().expect("a URI");
            let document = documents.set(&uri, text.to_string());
            assert_eq!(document.path, Path::new(path));
            let (source, _) = document.parsed.as_ref().expect("parses");
            assert_eq!(source.path, Path::new(path));
        }
        assert!(
            documents
                .get(&"file:///C:/ops/main.rb42".parse().expect("a URI"))
                .is_some(),
            "kept by its URI"
        );
    }
}
