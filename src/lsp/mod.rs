//! `runbook lsp`: a language server over standard input and output. It publishes the
//! diagnostics of `runbook check` as documents open and change, completes the names that fit
//! where the cursor is, shows a primitive's reference on hover, formats a document in
//! `runbook fmt`'s layout, outlines it and finds where a name is declared. Synchronous: one
//! message at a time.

mod completion;
mod definition;
mod diagnostics;
mod document_uri;
mod documents;
mod formatting;
mod framing;
mod hover;
mod position;
mod primitive_reference;
mod published;
mod symbols;
mod text_place;

use crate::exit_code;
use crate::session::static_check;
use documents::Documents;
use framing::Incoming;
use serde_json::{Value, json};
use std::io::{BufRead, Write};

/// JSON-RPC error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
/// LSP's RequestFailed: the request was valid, but the server could not do it.
const REQUEST_FAILED: i64 = -32803;

/// Serves one client until `exit` or the end of `input`; returns the exit code (1 for an
/// `exit` without `shutdown`, as the protocol asks).
pub fn serve(mut input: impl BufRead, mut output: impl Write) -> i32 {
    let runtime = match static_check::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    let mut server = Server {
        documents: Documents::default(),
        runtime: runtime.handle().clone(),
        shut_down: false,
        outbox: Vec::new(),
    };
    loop {
        let exit = match framing::read(&mut input) {
            Incoming::End => Some(exit_code::SUCCESS),
            Incoming::Malformed(why) => {
                server.error(&Value::Null, PARSE_ERROR, &why);
                None
            }
            Incoming::Message(message) => server.handle(&message),
        };
        for message in server.outbox.drain(..) {
            // A client that stopped reading is gone: end as at the end of input.
            if framing::write(&mut output, &message).is_err() {
                return exit_code::SUCCESS;
            }
        }
        if let Some(code) = exit {
            return code;
        }
    }
}

struct Server {
    documents: Documents,
    runtime: tokio::runtime::Handle,
    shut_down: bool,
    /// Messages to send once the one being handled is done.
    outbox: Vec<Value>,
}

impl Server {
    /// Handles one message; `Some(code)` when the server must exit.
    fn handle(&mut self, message: &Value) -> Option<i32> {
        let id = message.get("id");
        let Some(method) = message.get("method").and_then(Value::as_str) else {
            // A response to a request of ours (we send none) needs no answer.
            let is_response = message.get("result").is_some() || message.get("error").is_some();
            if id.is_none() || !is_response {
                self.error(
                    id.unwrap_or(&Value::Null),
                    INVALID_REQUEST,
                    "not a JSON-RPC request or notification: no method",
                );
            }
            return None;
        };
        let params = message.get("params").unwrap_or(&Value::Null);
        let Some(id) = id else {
            return self.notification(method, params);
        };
        if self.shut_down {
            self.error(id, INVALID_REQUEST, "the server is shutting down");
            return None;
        }
        let result = match method {
            "initialize" => Ok(capabilities()),
            "shutdown" => {
                self.shut_down = true;
                Ok(Value::Null)
            }
            "textDocument/completion" => self.completion(params),
            "textDocument/hover" => self.hover(params),
            "textDocument/formatting" => self.formatting(params),
            "textDocument/documentSymbol" => self.symbols(params),
            "textDocument/definition" => self.definition(params),
            _ => Err((METHOD_NOT_FOUND, format!("unknown method `{method}`"))),
        };
        match result {
            Ok(result) => self
                .outbox
                .push(json!({ "jsonrpc": "2.0", "id": id, "result": result })),
            Err((code, why)) => self.error(id, code, &why),
        }
        None
    }

    fn notification(&mut self, method: &str, params: &Value) -> Option<i32> {
        let uri = params["textDocument"]["uri"].as_str();
        match (method, uri) {
            ("exit", _) => {
                // The protocol asks for 1 when `exit` comes without `shutdown`.
                return Some(if self.shut_down {
                    exit_code::SUCCESS
                } else {
                    exit_code::FAILED
                });
            }
            ("textDocument/didOpen", Some(uri)) => {
                if let Some(text) = params["textDocument"]["text"].as_str() {
                    self.update(uri, text.to_string());
                }
            }
            ("textDocument/didChange", Some(uri)) => {
                // Full sync: the last change holds the whole text.
                let changes = params["contentChanges"].as_array();
                if let Some(text) = changes
                    .and_then(|c| c.last())
                    .and_then(|c| c["text"].as_str())
                {
                    self.update(uri, text.to_string());
                }
            }
            ("textDocument/didSave", Some(uri)) => {
                if let Some(text) = self.documents.get(uri).map(|d| d.text.clone()) {
                    self.update(uri, text);
                }
            }
            ("textDocument/didClose", Some(uri)) => {
                self.documents.close(uri);
                self.publish(uri, Vec::new());
            }
            // `initialized`, `$/…` and the rest need nothing from us.
            _ => {}
        }
        None
    }

    /// Stores the new text of `uri` and publishes its diagnostics.
    fn update(&mut self, uri: &str, text: String) {
        let document = self.documents.set(uri, text);
        let found = diagnostics::of_text(&document.path, &document.text, &self.runtime);
        self.publish(uri, found);
    }

    fn publish(&mut self, uri: &str, diagnostics: Vec<Value>) {
        self.outbox.push(json!({
            "jsonrpc": "2.0",
            "method": "textDocument/publishDiagnostics",
            "params": { "uri": uri, "diagnostics": diagnostics },
        }));
    }

    fn completion(&self, params: &Value) -> Result<Value, (i64, String)> {
        let uri = document_uri_of(params)?;
        let (line, character) = line_and_character(params)?;
        let Some(document) = self.documents.get(uri) else {
            return Ok(json!([]));
        };
        let offset = position::text_offset(&document.text, line, character);
        let place = text_place::at(&document.text, offset.unwrap_or(document.text.len()));
        Ok(json!(completion::items(document.parsed.as_ref(), place)))
    }

    fn hover(&self, params: &Value) -> Result<Value, (i64, String)> {
        let uri = document_uri_of(params)?;
        let (line, character) = line_and_character(params)?;
        let hover = self
            .documents
            .get(uri)
            .and_then(|d| hover::at(&d.text, line, character));
        Ok(hover.unwrap_or(Value::Null))
    }

    fn formatting(&self, params: &Value) -> Result<Value, (i64, String)> {
        let uri = document_uri_of(params)?;
        let Some(document) = self.documents.get(uri) else {
            return Err((INVALID_PARAMS, format!("`{uri}` is not open")));
        };
        formatting::edits(&document.path, &document.text)
            .map(|edits| json!(edits))
            .map_err(|why| (REQUEST_FAILED, why))
    }

    fn symbols(&self, params: &Value) -> Result<Value, (i64, String)> {
        let uri = document_uri_of(params)?;
        let parsed = self.documents.get(uri).and_then(|d| d.parsed.as_ref());
        Ok(parsed.map_or_else(
            || json!([]),
            |(source, runbook)| json!(symbols::outline(source, runbook)),
        ))
    }

    fn definition(&self, params: &Value) -> Result<Value, (i64, String)> {
        let uri = document_uri_of(params)?;
        let (line, character) = line_and_character(params)?;
        let found = self.documents.get(uri).and_then(|d| {
            let (source, runbook) = d.parsed.as_ref()?;
            let word = hover::word_under(&d.text, line, character)?;
            let span = definition::of(word, runbook)?;
            Some(json!({ "uri": uri, "range": position::range(source, span) }))
        });
        Ok(found.unwrap_or(Value::Null))
    }

    fn error(&mut self, id: &Value, code: i64, message: &str) {
        self.outbox.push(json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": { "code": code, "message": message },
        }));
    }
}

/// The 0-based line and UTF-16 column of a request's `position`.
fn line_and_character(params: &Value) -> Result<(usize, usize), (i64, String)> {
    let at = &params["position"];
    let number = |key: &str| at[key].as_u64().and_then(|n| usize::try_from(n).ok());
    match (number("line"), number("character")) {
        (Some(line), Some(character)) => Ok((line, character)),
        _ => Err((INVALID_PARAMS, "no position".to_string())),
    }
}

fn document_uri_of(params: &Value) -> Result<&str, (i64, String)> {
    params["textDocument"]["uri"]
        .as_str()
        .ok_or_else(|| (INVALID_PARAMS, "no textDocument.uri".to_string()))
}

/// What the server offers, for `initialize`.
fn capabilities() -> Value {
    json!({
        "capabilities": {
            "positionEncoding": "utf-16",
            "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
            "completionProvider": { "triggerCharacters": [":"] },
            "hoverProvider": true,
            "documentFormattingProvider": true,
            "documentSymbolProvider": true,
            "definitionProvider": true,
        },
        "serverInfo": { "name": "runbook", "version": env!("CARGO_PKG_VERSION") },
    })
}
