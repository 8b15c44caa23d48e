//! The server's answers: the protocol's lifecycle (`initialize`, `shutdown`, `exit`), and each
//! request and notification read into its lsp-types params and answered with its lsp-types
//! result, so the protocol's shapes are the crate's and not ours to keep in step.

use super::documents::Documents;
use super::transport::error;
use super::{
    completion, definition, diagnostics, formatting, hover, position, symbols, text_place,
};
use crate::exit_code;
use lsp_server::{ErrorCode, Message, Notification, Request, Response, ResponseError};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument, Exit,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, Initialize,
    Request as _, Shutdown,
};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, DocumentFormattingParams,
    DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse,
    Hover, HoverParams, HoverProviderCapability, InitializeResult, Location, OneOf,
    PositionEncodingKind, PublishDiagnosticsParams, SaveOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions, TextEdit, Uri,
};
use serde_json::Value;

/// Where the server is in the protocol's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    /// Before `initialize`: every other request is refused, and notifications but `exit`
    /// dropped, as the protocol asks.
    Starting,
    Running,
    /// After `shutdown`: requests are refused until `exit`.
    ShutDown,
}

pub struct Server {
    documents: Documents,
    runtime: tokio::runtime::Handle,
    lifecycle: Lifecycle,
    /// Messages to send once the one being handled is done.
    outbox: Vec<Message>,
}

impl Server {
    pub fn new(runtime: tokio::runtime::Handle) -> Self {
        Self {
            documents: Documents::default(),
            runtime,
            lifecycle: Lifecycle::Starting,
            outbox: Vec::new(),
        }
    }

    /// Handles one message; `Some(code)` when the server must exit.
    pub fn handle(&mut self, message: Message) -> Option<i32> {
        match message {
            Message::Request(request) => {
                let response = self.request(request);
                self.outbox.push(response.into());
                None
            }
            Message::Notification(notification) => self.notification(notification),
            // We send no requests, so a response answers nothing of ours.
            Message::Response(_) => None,
        }
    }

    /// The messages to send, in order.
    pub fn outbox(&mut self) -> std::vec::Drain<'_, Message> {
        self.outbox.drain(..)
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match (self.lifecycle, request.method.as_str()) {
            // Nothing in the client's capabilities changes our answers, so its params are not
            // read: an odd `rootUri` must not keep the server from starting.
            (Lifecycle::Starting, Initialize::METHOD) => {
                self.lifecycle = Lifecycle::Running;
                to_result(initialize_result())
            }
            (Lifecycle::Starting, _) => Err(error(
                ErrorCode::ServerNotInitialized,
                "the server is not initialized: `initialize` comes first",
            )),
            (Lifecycle::Running, Initialize::METHOD) => Err(error(
                ErrorCode::InvalidRequest,
                "the server is already initialized",
            )),
            (Lifecycle::Running, Shutdown::METHOD) => {
                self.lifecycle = Lifecycle::ShutDown;
                Ok(Value::Null)
            }
            (Lifecycle::Running, _) => self.feature(request),
            (Lifecycle::ShutDown, _) => Err(error(
                ErrorCode::InvalidRequest,
                "the server is shutting down",
            )),
        };
        Response {
            id,
            response_result: result,
        }
    }

    fn feature(&self, request: Request) -> Result<Value, ResponseError> {
        match request.method.as_str() {
            Completion::METHOD => self.answer::<Completion>(request, Self::completion),
            HoverRequest::METHOD => self.answer::<HoverRequest>(request, Self::hover),
            Formatting::METHOD => self.answer::<Formatting>(request, Self::formatting),
            DocumentSymbolRequest::METHOD => {
                self.answer::<DocumentSymbolRequest>(request, Self::symbols)
            }
            GotoDefinition::METHOD => self.answer::<GotoDefinition>(request, Self::definition),
            method => Err(error(
                ErrorCode::MethodNotFound,
                format!("unknown method `{method}`"),
            )),
        }
    }

    /// Reads the params of request `R`, answers them with `handler`, and writes its result.
    fn answer<R: lsp_types::request::Request>(
        &self,
        request: Request,
        handler: fn(&Self, R::Params) -> Result<R::Result, ResponseError>,
    ) -> Result<Value, ResponseError> {
        let params = serde_json::from_value(request.params).map_err(|e| {
            error(
                ErrorCode::InvalidParams,
                format!("bad params for {}: {e}", R::METHOD),
            )
        })?;
        to_result(handler(self, params)?)
    }

    fn notification(&mut self, notification: Notification) -> Option<i32> {
        if notification.method == Exit::METHOD {
            // The protocol asks for 1 when `exit` comes without `shutdown`.
            return Some(if self.lifecycle == Lifecycle::ShutDown {
                exit_code::SUCCESS
            } else {
                exit_code::FAILED
            });
        }
        if self.lifecycle == Lifecycle::Starting {
            return None;
        }
        // A notification is never answered, so one whose params do not read is dropped.
        let Notification { method, params } = notification;
        match method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Some(opened) = read::<DidOpenTextDocument>(params) {
                    let document = opened.text_document;
                    self.update(document.uri, document.text);
                }
            }
            DidChangeTextDocument::METHOD => {
                // Full sync: the last change holds the whole text.
                if let Some(mut changed) = read::<DidChangeTextDocument>(params)
                    && let Some(change) = changed.content_changes.pop()
                {
                    self.update(changed.text_document.uri, change.text);
                }
            }
            DidSaveTextDocument::METHOD => {
                if let Some(saved) = read::<DidSaveTextDocument>(params) {
                    let uri = saved.text_document.uri;
                    if let Some(text) = self.documents.get(&uri).map(|d| d.text.clone()) {
                        self.update(uri, text);
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Some(closed) = read::<DidCloseTextDocument>(params) {
                    let uri = closed.text_document.uri;
                    self.documents.close(&uri);
                    self.publish(uri, Vec::new());
                }
            }
            // `initialized`, `$/cancelRequest` and the rest need nothing from us.
            _ => {}
        }
        None
    }

    /// Stores the new text of `uri` and publishes its diagnostics.
    fn update(&mut self, uri: Uri, text: String) {
        let document = self.documents.set(&uri, text);
        let found = diagnostics::of_text(&document.path, &document.text, &self.runtime);
        self.publish(uri, found);
    }

    fn publish(&mut self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) {
        let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
        self.outbox
            .push(Notification::new(PublishDiagnostics::METHOD.to_string(), params).into());
    }

    fn completion(
        &self,
        params: CompletionParams,
    ) -> Result<Option<CompletionResponse>, ResponseError> {
        let at = params.text_document_position;
        let items = self.documents.get(&at.text_document.uri).map(|document| {
            let text = &document.text;
            let offset = position::text_offset(text, at.position).unwrap_or(text.len());
            completion::items(document.parsed.as_ref(), text_place::at(text, offset))
        });
        Ok(Some(CompletionResponse::Array(items.unwrap_or_default())))
    }

    fn hover(&self, params: HoverParams) -> Result<Option<Hover>, ResponseError> {
        let at = params.text_document_position_params;
        Ok(self.documents.get(&at.text_document.uri).and_then(|d| {
            let runbook = d.parsed.as_ref().map(|(_, runbook)| runbook);
            hover::at(&d.text, at.position, runbook)
        }))
    }

    fn formatting(
        &self,
        params: DocumentFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>, ResponseError> {
        let uri = params.text_document.uri;
        let Some(document) = self.documents.get(&uri) else {
            return Err(error(
                ErrorCode::InvalidParams,
                format!("`{}` is not open", uri.as_str()),
            ));
        };
        formatting::edits(&document.path, &document.text)
            .map(Some)
            .map_err(|why| error(ErrorCode::RequestFailed, why))
    }

    fn symbols(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>, ResponseError> {
        let parsed = self
            .documents
            .get(&params.text_document.uri)
            .and_then(|d| d.parsed.as_ref());
        let outline = parsed.map(|(source, runbook)| symbols::outline(source, runbook));
        Ok(Some(DocumentSymbolResponse::Nested(
            outline.unwrap_or_default(),
        )))
    }

    fn definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>, ResponseError> {
        let at = params.text_document_position_params;
        let uri = at.text_document.uri;
        Ok(self.documents.get(&uri).and_then(|d| {
            let (source, runbook) = d.parsed.as_ref()?;
            let word = hover::word_under(&d.text, at.position)?;
            let span = definition::of(word, runbook)?;
            let range = position::range(source, span);
            Some(GotoDefinitionResponse::Scalar(Location::new(
                uri.clone(),
                range,
            )))
        }))
    }
}

/// The params of notification `N`, when they read.
fn read<N: lsp_types::notification::Notification>(params: Value) -> Option<N::Params> {
    serde_json::from_value(params).ok()
}

fn to_result(result: impl serde::Serialize) -> Result<Value, ResponseError> {
    serde_json::to_value(result).map_err(|e| error(ErrorCode::InternalError, e.to_string()))
}

/// What the server offers, for `initialize`.
fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            position_encoding: Some(PositionEncodingKind::UTF16),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::FULL),
                    save: Some(
                        SaveOptions {
                            include_text: Some(false),
                        }
                        .into(),
                    ),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![":".to_string()]),
                ..CompletionOptions::default()
            }),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            document_formatting_provider: Some(OneOf::Left(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            definition_provider: Some(OneOf::Left(true)),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "runbook".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    }
}
