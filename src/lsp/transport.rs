//! The client's messages in and ours out, framed and parsed by lsp-server: rust-analyzer's
//! transport, which starlark-rust uses too, synchronous as this server is, giving
//! `Content-Length` framing and messages typed as requests, notifications and responses.
//!
//! lsp-server gives up at the first frame it cannot read, and would allocate any body length a
//! header announces. JSON-RPC asks instead for an answer (a parse error, or an invalid request
//! with its id when it has one) and for the next message to be read. So the input goes through
//! a `Recorder`, which keeps the bytes of the frame being read, to tell what was wrong with it,
//! and stops a body too large to hold before lsp-server allocates it.

use lsp_server::{ErrorCode, Message, RequestId, Response, ResponseError};
use std::io::{self, BufRead, BufReader, Read, Write};

/// A body larger than this is skipped rather than held in memory.
const MAX_BODY: usize = 64 << 20;

/// What one read from the client gave.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A frame that is not a message: the error that answers it, with the frame's id when it
    /// had one that could be read. The stream is still in step.
    Refused {
        id: Option<RequestId>,
        error: ResponseError,
    },
    /// A frame shaped like a response of the client's, but not a valid one: we send no
    /// requests, and JSON-RPC never answers a response.
    Ignored,
    /// The client closed its end, or cut a frame short.
    End,
}

/// The JSON-RPC error with `code` and `message`.
pub fn error(code: ErrorCode, message: impl Into<String>) -> ResponseError {
    ResponseError {
        code: code as i32,
        message: message.into(),
        data: None,
    }
}

/// Both directions of the connection to one client.
pub struct Transport<R, W> {
    /// Capacity 1: lsp-server reads headers line by line and bodies with `read_exact`, so the
    /// recorder sees exactly the bytes of one frame and nothing of the next.
    input: BufReader<Recorder<R>>,
    output: W,
    /// A frame whose header could not be read has a rest to skip before the next one: skipped
    /// after its refusal is sent, so that a client that never sends the body still hears why.
    rest_to_skip: bool,
}

impl<R: BufRead, W: Write> Transport<R, W> {
    pub fn new(input: R, output: W) -> Self {
        Self {
            input: BufReader::with_capacity(1, Recorder::new(input)),
            output,
            rest_to_skip: false,
        }
    }

    /// Reads the next frame.
    pub fn receive(&mut self) -> Incoming {
        if std::mem::take(&mut self.rest_to_skip) && self.skip_rest().is_err() {
            return Incoming::End;
        }
        self.input.get_mut().start_frame();
        match Message::read(&mut self.input) {
            // lsp-server reads a request whose id is not an integer or a string as a
            // notification, which would leave the client waiting for an answer.
            Ok(Some(Message::Notification(_))) if self.input.get_ref().has_id() => {
                Incoming::Refused {
                    id: None,
                    error: error(
                        ErrorCode::InvalidRequest,
                        "the id of a request is an integer or a string",
                    ),
                }
            }
            Ok(Some(message)) => Incoming::Message(message),
            Ok(None) => Incoming::End,
            Err(why) if why.kind() == io::ErrorKind::InvalidData => self.refuse(&why),
            Err(_) => Incoming::End,
        }
    }

    /// Tells what was wrong with the frame just read.
    fn refuse(&mut self, why: &io::Error) -> Incoming {
        let recorder = self.input.get_ref();
        if let (Some(_), Some(body)) = (recorder.announced, recorder.body()) {
            return refused_body(body);
        }
        let message = match recorder.too_large() {
            Some(length) => format!("a message of {length} bytes is too large"),
            None => format!("unreadable header: {why}"),
        };
        self.rest_to_skip = true;
        Incoming::Refused {
            id: None,
            error: error(ErrorCode::ParseError, message),
        }
    }

    /// Reads past the rest of a frame whose header could not be read: to the header's end,
    /// then past the body when the header gave its length.
    fn skip_rest(&mut self) -> io::Result<()> {
        let mut line = Vec::new();
        while self.input.get_ref().body_start.is_none() {
            line.clear();
            match self.input.read_until(b'\n', &mut line) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                // The recorder refusing a length again: noted, and skipped below.
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::InvalidData => {}
                Err(e) => return Err(e),
            }
        }
        let recorder = self.input.get_mut();
        if let Some(length) = recorder.announced {
            // Past the recorder, so that a large body is not kept; the buffer of capacity 1
            // is empty between frames.
            let length = length as u64;
            if io::copy(&mut (&mut recorder.inner).take(length), &mut io::sink())? < length {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        Ok(())
    }

    /// Sends one message; an error means the client stopped reading.
    pub fn send(&mut self, message: Message) -> io::Result<()> {
        message.write(&mut self.output)
    }

    /// Sends the answer to a frame that was not a message.
    pub fn send_error(&mut self, id: Option<RequestId>, error: ResponseError) -> io::Result<()> {
        match id {
            Some(id) => self.send(
                Response {
                    id,
                    response_result: Err(error),
                }
                .into(),
            ),
            // JSON-RPC answers a frame whose id cannot be read with `"id": null`, which
            // lsp-server's `Response` cannot hold: this one message is framed here.
            None => {
                let body = serde_json::json!({ "jsonrpc": "2.0", "id": null, "error": error });
                let body = body.to_string();
                write!(self.output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
                self.output.flush()
            }
        }
    }
}

/// The answer to a complete body that is not a message.
fn refused_body(body: &[u8]) -> Incoming {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(e) => {
            return Incoming::Refused {
                id: None,
                error: error(ErrorCode::ParseError, format!("the body is not JSON: {e}")),
            };
        }
    };
    let field = |name: &str| value.get(name);
    if field("method").is_none() && (field("result").is_some() || field("error").is_some()) {
        return Incoming::Ignored;
    }
    Incoming::Refused {
        id: field("id").and_then(|id| serde_json::from_value(id.clone()).ok()),
        error: error(
            ErrorCode::InvalidRequest,
            "not a JSON-RPC request or notification: it needs a string `method`, and a request \
             an integer or string `id`",
        ),
    }
}

/// The client's input, keeping the bytes of the frame being read.
struct Recorder<R> {
    inner: R,
    frame: Vec<u8>,
    /// Where the header line being read starts in `frame`.
    line_start: usize,
    /// Where the body starts in `frame`, once the header's empty line is read.
    body_start: Option<usize>,
    /// The frame's `Content-Length`, read as lsp-server reads it.
    announced: Option<usize>,
}

impl<R: BufRead> Recorder<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            frame: Vec::new(),
            line_start: 0,
            body_start: None,
            announced: None,
        }
    }

    fn start_frame(&mut self) {
        self.frame.clear();
        self.line_start = 0;
        self.body_start = None;
        self.announced = None;
    }

    /// The announced length, when it is above `MAX_BODY`: reading stops there.
    fn too_large(&self) -> Option<usize> {
        self.announced.filter(|&n| n > MAX_BODY)
    }

    fn body(&self) -> Option<&[u8]> {
        self.body_start.map(|start| &self.frame[start..])
    }

    /// Whether the body read has an `id` that is not null.
    fn has_id(&self) -> bool {
        #[derive(serde::Deserialize)]
        struct Probe {
            id: Option<serde::de::IgnoredAny>,
        }
        self.body()
            .and_then(|body| serde_json::from_slice::<Probe>(body).ok())
            .is_some_and(|probe| probe.id.is_some())
    }

    /// Notes a header line just completed: the header's end, or its `Content-Length`, read as
    /// lsp-server reads it. True when that length is too large to hold.
    fn end_header_line(&mut self) -> bool {
        let line = &self.frame[self.line_start..];
        self.line_start = self.frame.len();
        if line == b"\r\n" {
            self.body_start = Some(self.frame.len());
            return false;
        }
        let header = std::str::from_utf8(line)
            .ok()
            .and_then(|l| l.strip_suffix("\r\n"))
            .and_then(|l| l.split_once(": "));
        if let Some((name, value)) = header
            && name.eq_ignore_ascii_case("content-length")
        {
            self.announced = value.parse().ok();
            return self.too_large().is_some();
        }
        false
    }
}

impl<R: BufRead> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.frame.extend_from_slice(&buf[..n]);
        if self.body_start.is_none() && self.frame.ends_with(b"\n") && self.end_header_line() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a body too large to hold",
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each read of `input` gives, in turn, as text.
    fn receive_all(input: &[u8]) -> Vec<String> {
        let mut transport = Transport::new(input, Vec::new());
        let mut seen = Vec::new();
        loop {
            seen.push(match transport.receive() {
                Incoming::Message(Message::Request(r)) => format!("request {} {}", r.id, r.method),
                Incoming::Message(Message::Notification(n)) => format!("notification {}", n.method),
                Incoming::Message(Message::Response(r)) => format!("response {}", r.id),
                Incoming::Refused { id, error } => format!("refused {id:?} {}", error.code),
                Incoming::Ignored => "ignored".to_string(),
                Incoming::End => return seen,
            });
        }
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn a_frame_that_is_not_a_message_is_refused_and_the_next_is_read() {
        let input = [
            frame(r#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#),
            frame("{x}"),
            "Content-Type: x\r\n\r\n".to_string(),
            frame(r#"{"jsonrpc":"2.0","id":7,"params":{}}"#),
            frame(r#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#),
            frame(r#"{"jsonrpc":"2.0","id":"a","error":{"code":"no"}}"#),
            frame(r#"{"jsonrpc":"2.0","id":"a","result":null}"#),
            frame(r#"[1,2]"#),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
        ]
        .concat();
        assert_eq!(
            receive_all(input.as_bytes()),
            [
                "request 1 initialize",
                "refused None -32700",
                "refused None -32700",
                "refused Some(RequestId(I32(7))) -32600",
                "refused None -32600",
                "ignored",
                "response \"a\"",
                "refused None -32600",
                "notification exit",
            ]
        );
    }

    #[test]
    fn a_bad_header_loses_only_its_own_frame() {
        let exit = frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        for bad in [
            &b"Content-Length: 12x\r\n\r\n"[..],
            b"Content-Length 2\r\n\r\n",
            b"Content-Length: 2\r\nX-Name: \xff\r\n\r\n{}",
            b"Content-Length: 2\r\n\xff\r\n\r\n{}",
        ] {
            let input = [bad, exit.as_bytes()].concat();
            assert_eq!(
                receive_all(&input),
                ["refused None -32700", "notification exit"],
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_body_too_large_to_hold_is_skipped_unread() {
        let huge = format!("Content-Length: {}\r\n\r\n", usize::MAX);
        assert_eq!(receive_all(huge.as_bytes()), ["refused None -32700"]);
        let over = MAX_BODY + 1;
        let input = [
            format!("Content-Length: {over}\r\n\r\n").into_bytes(),
            vec![b' '; over],
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#).into_bytes(),
        ]
        .concat();
        assert_eq!(
            receive_all(&input),
            ["refused None -32700", "notification exit"]
        );
    }

    #[test]
    fn a_frame_cut_short_ends_the_stream() {
        assert!(receive_all(b"Content-Length: 10\r\n\r\n{}").is_empty());
        assert!(receive_all(b"Content-Length: 10\r\n").is_empty());
        assert!(receive_all(b"").is_empty());
    }

    #[test]
    fn an_error_without_an_id_is_answered_with_a_null_id() {
        let mut transport = Transport::new(&b""[..], Vec::new());
        let answer = error(ErrorCode::ParseError, "the body is not JSON");
        transport.send_error(None, answer.clone()).expect("sent");
        transport
            .send_error(Some(RequestId::from(3)), answer)
            .expect("sent");
        let sent = String::from_utf8(transport.output).expect("UTF-8");
        // Each frame's length is its body's; the key order of a JSON object is not the protocol.
        let bodies: Vec<serde_json::Value> = sent
            .split("Content-Length: ")
            .skip(1)
            .map(|framed| {
                let (length, body) = framed.split_once("\r\n\r\n").expect("a header");
                assert_eq!(length.parse::<usize>().expect("a length"), body.len());
                serde_json::from_str(body).expect("a JSON body")
            })
            .collect();
        let expected = |id: serde_json::Value| {
            serde_json::json!({
                "jsonrpc": "2.0",
                "id": id,
                "error": {"code": -32700, "message": "the body is not JSON"},
            })
        };
        assert_eq!(
            bodies,
            [expected(serde_json::Value::Null), expected(3.into())]
        );
    }
}
