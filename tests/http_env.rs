//! A real HTTP/1.1 server on loopback for the HTTP tests: each test starts its own
//! [`HttpServer`] on a free port of 127.0.0.1, in this process, and asserts on the
//! [`Request`]s it recorded.
//!
//! One thread accepts, one thread per connection answers one request and closes
//! (`Connection: close`). Endpoints:
//!
//! | request                          | answer                                                  |
//! |----------------------------------|---------------------------------------------------------|
//! | `GET /ok`, `HEAD /ok`            | 200 `text/plain` "ok" (no body for HEAD)                |
//! | `GET /fail`                      | 500 "boom"                                              |
//! | `GET /slow?ms=N`                 | 200 "slow" after N ms (1000 without `ms`)               |
//! | `GET /redirect`                  | 302 to `/ok`                                            |
//! | `GET /redirect-loop`             | 302 to itself                                           |
//! | `GET /health`                    | 503 `{"status":"starting"}` for the first N calls, then 200 [`HEALTHY`] |
//! | `POST`/`PUT`/`PATCH`/`DELETE /echo` | 200 JSON: method, path, query, headers, body         |
//! | `GET /json`                      | 200 [`ITEMS_JSON`]                                      |
//! | `GET /auth`                      | 200 with `Authorization: Bearer` [`TOKEN`], else 401    |
//! | `GET /ws/admin/orders/`          | 101 WebSocket handshake (400 without upgrade headers)   |
//! | `GET /ws/refused`                | 403                                                     |
//! | anything else                    | 404                                                     |

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The bearer token `/auth` accepts.
pub const TOKEN: &str = "s3cr3t-token";
/// `/health`'s body once healthy.
pub const HEALTHY: &str = r#"{"status":"healthy","db":{"ok":true}}"#;
/// `/health`'s body while starting.
pub const STARTING: &str = r#"{"status":"starting"}"#;
/// `/json`'s body, byte for byte.
pub const ITEMS_JSON: &str = r#"{"items":[{"id":1,"name":"a"},{"id":2,"name":"b"}],"count":2}"#;

/// RFC 6455: appended to the client's key before hashing it into `Sec-WebSocket-Accept`.
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// How long an accepted WebSocket stays open waiting for the client to close it.
const WEBSOCKET_LINGER: Duration = Duration::from_secs(5);
/// A client that stops sending mid-request is dropped after this.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Larger bodies (and WebSocket frames) are refused: tests send small ones.
const MAX_BODY: usize = 16 << 20;

/// One request as the server read it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// The request target: path and query, as sent (`/slow?ms=10`).
    pub path: String,
    /// In the order sent, names as sent.
    pub headers: Vec<(String, String)>,
    /// Decoded when it came chunked.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name`, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// A running server on 127.0.0.1. Dropping it stops accepting connections; answers under way
/// (a `/slow` one) finish on their own.
pub struct HttpServer {
    addr: SocketAddr,
    state: Arc<State>,
    accepter: Option<thread::JoinHandle<()>>,
}

/// What the connection threads share.
struct State {
    stopping: AtomicBool,
    requests: Mutex<Vec<Request>>,
    health_calls: AtomicUsize,
    /// `/health` answers 503 for this many calls first.
    healthy_after: usize,
}

impl HttpServer {
    /// Starts a server whose `/health` is healthy at once.
    pub fn start() -> HttpServer {
        HttpServer::start_with_healthy_after(0)
    }

    /// Starts a server whose `/health` answers 503 "starting" for the first `calls` calls.
    pub fn start_with_healthy_after(calls: usize) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("the server's address");
        let state = Arc::new(State {
            stopping: AtomicBool::new(false),
            requests: Mutex::new(Vec::new()),
            health_calls: AtomicUsize::new(0),
            healthy_after: calls,
        });
        let shared = Arc::clone(&state);
        let accepter = thread::spawn(move || {
            for stream in listener.incoming() {
                if shared.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else {
                    continue;
                };
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        HttpServer {
            addr,
            state,
            accepter: Some(accepter),
        }
    }

    /// `http://127.0.0.1:PORT{path}`; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Every request read so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().expect("requests lock").clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.state.stopping.store(true, Ordering::SeqCst);
        // `accept` blocks: one more connection wakes it up to see the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accepter) = self.accepter.take() {
            let _ = accepter.join();
        }
    }
}

/// An answer to write: `Content-Length` and `Connection: close` are added (but not to a 101).
struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_string())],
            body: body.into(),
        }
    }

    fn text(status: u16, body: &str) -> Response {
        Response::new(status, "text/plain", body)
    }

    fn json(status: u16, body: &str) -> Response {
        Response::new(status, "application/json", body)
    }

    fn redirect(location: &str) -> Response {
        let mut response = Response::text(302, "redirect");
        response.headers.push(("Location", location.to_string()));
        response
    }

    fn write_to(&self, out: &mut impl Write, with_body: bool) -> io::Result<()> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.status != 101 {
            head.push_str(&format!(
                "Content-Length: {}\r\nConnection: close\r\n",
                self.body.len()
            ));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        if with_body {
            out.write_all(&self.body)?;
        }
        out.flush()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// Reads one request, records it, answers it and closes the connection.
fn serve(stream: TcpStream, state: &State) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Ok(reader) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(reader);
    let mut out = stream;
    let request = match read_request(&mut reader, &mut out) {
        Ok(Some(request)) => request,
        // The client closed without a request (the wake-up connection of `Drop`).
        Ok(None) => return,
        Err(e) => {
            let _ = Response::text(400, &format!("bad request: {e}")).write_to(&mut out, true);
            return;
        }
    };
    state
        .requests
        .lock()
        .expect("requests lock")
        .push(request.clone());
    let response = answer(&request, state);
    let _ = response.write_to(&mut out, request.method != "HEAD");
    if response.status == 101 {
        linger_websocket(&mut reader, &mut out);
    }
}

/// Reads the request line, the headers and the body (`Content-Length` or chunked). `None` when
/// the client closed before sending anything.
fn read_request(reader: &mut impl BufRead, out: &mut impl Write) -> io::Result<Option<Request>> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.trim_end().split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid(format!("request line {line:?}")));
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !path.starts_with('/') {
        return Err(invalid(format!("request line {line:?}")));
    }
    let mut request = Request {
        method: method.to_string(),
        path: path.to_string(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(invalid("end of stream in the headers".into()));
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| invalid(format!("header {header:?}")))?;
        request
            .headers
            .push((name.trim().to_string(), value.trim().to_string()));
    }
    if request
        .header("expect")
        .is_some_and(|expect| expect.eq_ignore_ascii_case("100-continue"))
    {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|encoding| encoding.to_ascii_lowercase().contains("chunked"));
    request.body = if chunked {
        read_chunked(reader)?
    } else {
        let length = match request.header("content-length") {
            Some(length) => length
                .parse()
                .map_err(|_| invalid(format!("Content-Length {length:?}")))?,
            None => 0,
        };
        read_exactly(reader, length)?
    };
    Ok(Some(request))
}

/// A chunked body, decoded; trailers are skipped.
fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = line.trim_end().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size.trim(), 16).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidData, format!("chunk size {line:?}"))
        })?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        body.extend(read_exactly(reader, size)?);
        line.clear();
        reader.read_line(&mut line)?;
    }
}

fn read_exactly(reader: &mut impl Read, length: usize) -> io::Result<Vec<u8>> {
    if length > MAX_BODY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{length} bytes is too large"),
        ));
    }
    let mut bytes = vec![0; length];
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// The endpoint's answer; see the module's table.
fn answer(request: &Request, state: &State) -> Response {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    match (request.method.as_str(), path) {
        ("GET" | "HEAD", "/ok") => Response::text(200, "ok"),
        ("GET", "/line") => Response::text(200, "ok\n"),
        ("GET", "/fail") => Response::text(500, "boom"),
        ("GET", "/slow") => {
            let ms = query_value(query, "ms")
                .and_then(|ms| ms.parse().ok())
                .unwrap_or(1000);
            thread::sleep(Duration::from_millis(ms));
            Response::text(200, "slow")
        }
        ("GET", "/redirect") => Response::redirect("/ok"),
        ("GET", "/redirect-loop") => Response::redirect("/redirect-loop"),
        ("GET", "/health") => {
            if state.health_calls.fetch_add(1, Ordering::SeqCst) < state.healthy_after {
                Response::json(503, STARTING)
            } else {
                Response::json(200, HEALTHY)
            }
        }
        ("POST" | "PUT" | "PATCH" | "DELETE", "/echo") => {
            Response::json(200, &echo(request, path, query).to_string())
        }
        ("GET", "/json") => Response::json(200, ITEMS_JSON),
        ("GET", "/auth") => {
            if request.header("authorization") == Some(&format!("Bearer {TOKEN}")) {
                Response::text(200, "authorized")
            } else {
                let mut response = Response::text(401, "unauthorized");
                response
                    .headers
                    .push(("WWW-Authenticate", "Bearer".to_string()));
                response
            }
        }
        ("GET", "/ws/admin/orders/") => websocket_handshake(request),
        ("GET", "/ws/refused") => Response::text(403, "forbidden"),
        _ => Response::text(404, "not found"),
    }
}

/// The value of `name` in a raw query string (`a=1&ms=20`), undecoded.
fn query_value<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// `{"method", "path" (without the query), "query" (raw, "" when none), "headers" (names in
/// lower case; repeated ones joined with ", "), "body" (as text)}`.
fn echo(request: &Request, path: &str, query: &str) -> serde_json::Value {
    let mut headers = serde_json::Map::new();
    for (name, value) in &request.headers {
        let name = name.to_ascii_lowercase();
        match headers.get_mut(&name) {
            Some(serde_json::Value::String(joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            _ => {
                headers.insert(name, value.as_str().into());
            }
        }
    }
    serde_json::json!({
        "method": request.method,
        "path": path,
        "query": query,
        "headers": headers,
        "body": String::from_utf8_lossy(&request.body),
    })
}

/// 101 with `Sec-WebSocket-Accept` when the request asks for a WebSocket, else 400.
fn websocket_handshake(request: &Request) -> Response {
    let upgrade = request
        .header("upgrade")
        .is_some_and(|upgrade| upgrade.eq_ignore_ascii_case("websocket"));
    match request.header("sec-websocket-key") {
        Some(key) if upgrade => Response {
            status: 101,
            headers: vec![
                ("Upgrade", "websocket".to_string()),
                ("Connection", "Upgrade".to_string()),
                ("Sec-WebSocket-Accept", websocket_accept(key)),
            ],
            body: Vec::new(),
        },
        _ => Response::text(400, "expected a WebSocket upgrade"),
    }
}

/// Keeps an accepted WebSocket open until the client closes it, for at most
/// [`WEBSOCKET_LINGER`]: answers a ping with a pong and a close frame with a close frame, and
/// ignores messages.
fn linger_websocket(reader: &mut BufReader<TcpStream>, out: &mut TcpStream) {
    let deadline = Instant::now() + WEBSOCKET_LINGER;
    let mut read = |buf: &mut [u8]| {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return false;
        };
        reader.get_ref().set_read_timeout(Some(left)).is_ok() && reader.read_exact(buf).is_ok()
    };
    loop {
        let mut head = [0; 2];
        if !read(&mut head) {
            return;
        }
        let opcode = head[0] & 0x0f;
        let length = match head[1] & 0x7f {
            126 => {
                let mut length = [0; 2];
                if !read(&mut length) {
                    return;
                }
                usize::from(u16::from_be_bytes(length))
            }
            127 => {
                let mut length = [0; 8];
                if !read(&mut length) {
                    return;
                }
                match usize::try_from(u64::from_be_bytes(length)) {
                    Ok(length) if length <= MAX_BODY => length,
                    _ => return,
                }
            }
            length => usize::from(length),
        };
        let mut mask = [0; 4];
        if head[1] & 0x80 != 0 && !read(&mut mask) {
            return;
        }
        let mut payload = vec![0; length];
        if !read(&mut payload) {
            return;
        }
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i % 4];
        }
        // A close is answered with a close, a ping with a pong, each carrying the payload.
        let answer = match opcode {
            0x8 => 0x8,
            0x9 => 0xA,
            _ => continue,
        };
        // Control frames carry at most 125 bytes: one length byte, unmasked from the server.
        payload.truncate(125);
        let mut frame = vec![0x80 | answer, u8::try_from(payload.len()).unwrap_or(125)];
        frame.extend(payload);
        if out.write_all(&frame).is_err() || answer == 0x8 {
            return;
        }
    }
}

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
fn websocket_accept(key: &str) -> String {
    base64(&sha1(format!("{key}{WEBSOCKET_GUID}").as_bytes()))
}

/// SHA-1 (FIPS 180-4), which the WebSocket handshake needs and the tests have no crate for.
fn sha1(data: &[u8]) -> [u8; 20] {
    let mut state: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let mut message = data.to_vec();
    let bits = u64::try_from(data.len()).expect("length fits in u64") * 8;
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bits.to_be_bytes());
    for block in message.chunks_exact(64) {
        let mut words = [0u32; 80];
        for (word, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_be_bytes(bytes.try_into().expect("4 bytes"));
        }
        for i in 16..80 {
            words[i] = (words[i - 3] ^ words[i - 8] ^ words[i - 14] ^ words[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = state;
        for (i, word) in words.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let next = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = next;
        }
        for (word, add) in state.iter_mut().zip([a, b, c, d, e]) {
            *word = word.wrapping_add(add);
        }
    }
    let mut digest = [0; 20];
    for (bytes, word) in digest.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// Standard base64 (RFC 4648) with padding.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (group >> (18 - 6 * i)) & 0x3f;
                text.push(char::from(ALPHABET[index as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// A response as a raw client reads it, up to the end of the stream.
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `head` (request line and headers, without the final empty line) and `body`, then reads
/// the whole response.
fn send(server: &HttpServer, head: &str, body: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(server.addr).expect("connect to the test server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
        .write_all(format!("{head}\r\nHost: {}\r\n\r\n", server.addr).as_bytes())
        .expect("send the head");
    stream.write_all(body).expect("send the body");
    let mut reader = BufReader::new(stream);
    let (status, headers) = read_response_head(&mut reader);
    let mut body = Vec::new();
    reader.read_to_end(&mut body).expect("read the body");
    RawResponse {
        status,
        headers,
        body,
    }
}

fn read_response_head(reader: &mut impl BufRead) -> (u16, Vec<(String, String)>) {
    let mut line = String::new();
    reader.read_line(&mut line).expect("read the status line");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("status line {line:?}"));
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).expect("read a header");
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.to_string(), value.trim().to_string()));
    }
    (status, headers)
}

#[test]
fn sha1_and_base64_give_the_rfc_6455_accept_value() {
    assert_eq!(
        sha1(b"abc"),
        [
            0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
            0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d
        ]
    );
    // 56 bytes: the padding takes a second block.
    assert_eq!(
        sha1(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        [
            0x84, 0x98, 0x3e, 0x44, 0x1c, 0x3b, 0xd2, 0x6e, 0xba, 0xae, 0x4a, 0xa1, 0xf9, 0x51,
            0x29, 0xe5, 0xe5, 0x46, 0x70, 0xf1
        ]
    );
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(
        websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn ok_answers_and_the_request_is_recorded() {
    let server = HttpServer::start();

    let response = send(&server, "GET /ok?x=1 HTTP/1.1\r\nX-Trace: abc", b"");

    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "ok");
    assert_eq!(response.header("content-type"), Some("text/plain"));
    assert_eq!(response.header("connection"), Some("close"));
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/ok?x=1");
    assert_eq!(requests[0].header("x-TRACE"), Some("abc"));
    assert!(requests[0].body.is_empty());
    assert!(server.url("/ok").starts_with("http://127.0.0.1:"));
}

#[test]
fn head_has_a_length_and_no_body() {
    let server = HttpServer::start();

    let response = send(&server, "HEAD /ok HTTP/1.1", b"");

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("2"));
    assert!(response.body.is_empty(), "body {:?}", response.text());
}

#[test]
fn health_is_starting_for_the_first_calls_then_healthy() {
    let server = HttpServer::start_with_healthy_after(2);

    let answers: Vec<(u16, String)> = (0..3)
        .map(|_| send(&server, "GET /health HTTP/1.1", b""))
        .map(|response| (response.status, response.text()))
        .collect();

    assert_eq!(
        answers,
        [
            (503, STARTING.to_string()),
            (503, STARTING.to_string()),
            (200, HEALTHY.to_string())
        ]
    );
    let fresh = HttpServer::start();
    assert_eq!(send(&fresh, "GET /health HTTP/1.1", b"").status, 200);
}

#[test]
fn echo_returns_the_request_as_json() {
    let server = HttpServer::start();
    let body = r#"{"order": 42}"#;

    let response = send(
        &server,
        &format!(
            "POST /echo?dry=1&x=y HTTP/1.1\r\nX-Custom: one\r\nx-custom: two\r\n\
             Content-Type: application/json\r\nContent-Length: {}",
            body.len()
        ),
        body.as_bytes(),
    );

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let echo: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/echo");
    assert_eq!(echo["query"], "dry=1&x=y");
    assert_eq!(echo["headers"]["x-custom"], "one, two");
    assert_eq!(echo["headers"]["content-type"], "application/json");
    assert_eq!(echo["body"], body);
    assert_eq!(server.requests()[0].body, body.as_bytes());
}

#[test]
fn a_chunked_body_is_decoded() {
    let server = HttpServer::start();

    let response = send(
        &server,
        "PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked",
        b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
    );

    let echo: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["body"], "hello world");
    assert_eq!(echo["query"], "");
}

#[test]
fn every_endpoint_answers_its_status() {
    let server = HttpServer::start();
    let auth = format!("GET /auth HTTP/1.1\r\nAuthorization: Bearer {TOKEN}");
    let cases = [
        ("GET /fail HTTP/1.1", 500, "boom"),
        ("GET /slow?ms=10 HTTP/1.1", 200, "slow"),
        ("GET /redirect HTTP/1.1", 302, "redirect"),
        ("GET /json HTTP/1.1", 200, ITEMS_JSON),
        (auth.as_str(), 200, "authorized"),
        (
            "GET /auth HTTP/1.1\r\nAuthorization: Bearer nope",
            401,
            "unauthorized",
        ),
        (
            "GET /ws/admin/orders/ HTTP/1.1",
            400,
            "expected a WebSocket upgrade",
        ),
        ("GET /ws/refused HTTP/1.1", 403, "forbidden"),
        ("GET /nothing HTTP/1.1", 404, "not found"),
        ("POST /ok HTTP/1.1", 404, "not found"),
        ("DELETE /echo HTTP/1.1", 200, "{"),
    ];

    for (head, status, body) in cases {
        let response = send(&server, head, b"");
        assert_eq!(response.status, status, "{head}");
        assert!(
            response.text().starts_with(body),
            "{head}: {}",
            response.text()
        );
    }
    let redirect = send(&server, "GET /redirect HTTP/1.1", b"");
    assert_eq!(redirect.header("location"), Some("/ok"));
    let a_loop = send(&server, "GET /redirect-loop HTTP/1.1", b"");
    assert_eq!(a_loop.header("location"), Some("/redirect-loop"));
}

#[test]
fn a_websocket_upgrade_is_accepted_and_closed_by_the_client() {
    let server = HttpServer::start();
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
        .write_all(
            b"GET /ws/admin/orders/ HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
              Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
              Sec-WebSocket-Version: 13\r\n\r\n",
        )
        .expect("send the handshake");
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));

    let (status, headers) = read_response_head(&mut reader);

    assert_eq!(status, 101);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    assert_eq!(header("upgrade"), Some("websocket"));
    assert_eq!(header("connection"), Some("Upgrade"));
    assert_eq!(
        header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    // A masked close frame with status 1000; the server answers with its own close.
    let mask = [1, 2, 3, 4];
    let payload = [0x03 ^ mask[0], 0xe8 ^ mask[1]];
    let mut frame = vec![0x88, 0x80 | 2];
    frame.extend(mask);
    frame.extend(payload);
    stream.write_all(&frame).expect("send close");
    let mut reply = Vec::new();
    reader
        .read_to_end(&mut reply)
        .expect("read the close reply");
    assert_eq!(reply, [0x88, 2, 0x03, 0xe8]);
}

#[test]
fn a_dropped_server_refuses_connections() {
    let server = HttpServer::start();
    let addr = server.addr;

    drop(server);

    assert!(TcpStream::connect(addr).is_err());
}

/// `GET http://127.0.0.1:PORT/PATH` from a plain socket (for servers the tests do not own, such
/// as a container's published port): the status and body, or none while nothing answers.
pub fn get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

/// The body of `path` on `port` once it answers 200 (up to 30 s), trimmed.
pub fn page(port: u16, path: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        if let Some((200, body)) = get(port, path) {
            return body.trim().to_string();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "nothing answers {path} on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
