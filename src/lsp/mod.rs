//! `runbook lsp`: a language server over standard input and output. It publishes the
//! diagnostics of `runbook check` as documents open and change, completes the names that fit
//! where the cursor is, shows the reference of a primitive or a keyword on hover, formats a document in
//! `runbook fmt`'s layout, outlines it and finds where a name is declared. Synchronous: one
//! message at a time.
//!
//! The protocol comes from crates: lsp-server frames and types the messages, lsp-types gives
//! every request's params and result, and url reads a document's URI as a path.

mod completion;
mod definition;
mod diagnostics;
mod document_uri;
mod documents;
mod formatting;
mod hover;
mod keyword_reference;
mod position;
mod primitive_reference;
mod published;
mod server;
mod symbols;
mod text_place;
mod transport;

use crate::exit_code;
use crate::output::console::errln;
use crate::session::static_check;
use server::Server;
use std::io::{BufRead, Write};
use transport::{Incoming, Transport};

/// Serves one client until `exit` or the end of `input`; returns the exit code (1 for an
/// `exit` without `shutdown`, as the protocol asks).
pub fn serve(input: impl BufRead, output: impl Write) -> i32 {
    let runtime = match static_check::runtime() {
        Ok(r) => r,
        Err(e) => {
            errln!("error: {e}");
            return exit_code::USAGE;
        }
    };
    let mut transport = Transport::new(input, output);
    let mut server = Server::new(runtime.handle().clone());
    loop {
        let exit = match transport.receive() {
            Incoming::End => return exit_code::SUCCESS,
            Incoming::Message(message) => server.handle(message),
            Incoming::Refused { id, error } => {
                if transport.send_error(id, error).is_err() {
                    return exit_code::SUCCESS;
                }
                None
            }
            Incoming::Ignored => None,
        };
        for message in server.outbox() {
            // A client that stopped reading is gone: end as at the end of input.
            if transport.send(message).is_err() {
                return exit_code::SUCCESS;
            }
        }
        if let Some(code) = exit {
            return code;
        }
    }
}
