//! The base protocol: JSON-RPC messages framed by a `Content-Length` header, as LSP clients send
//! them on standard input and expect them on standard output.

use std::io::{BufRead, Read, Write};

/// A body larger than this is skipped rather than held in memory.
const MAX_BODY: usize = 64 << 20;

/// What one read from the client gave.
#[derive(Debug)]
pub enum Incoming {
    /// A framed body that parsed as JSON.
    Message(serde_json::Value),
    /// A frame that was not a JSON-RPC message, with why; the stream is still in step.
    Malformed(String),
    /// The client closed its end.
    End,
}

/// Reads the next framed message. Header errors and bodies that are not JSON are `Malformed`;
/// only the end of the stream (or a read error) is `End`.
pub fn read(input: &mut impl BufRead) -> Incoming {
    let mut length = None;
    let mut header_error = None;
    let mut seen_header = false;
    loop {
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return Incoming::End,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if seen_header {
                break;
            }
            continue;
        }
        seen_header = true;
        match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => header_error = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {}
            None => header_error = Some(format!("not a header: `{line}`")),
        }
    }
    let Some(length) = length else {
        return Incoming::Malformed(
            header_error.unwrap_or_else(|| "no Content-Length header".to_string()),
        );
    };
    if length > MAX_BODY {
        return match std::io::copy(&mut input.take(length as u64), &mut std::io::sink()) {
            Ok(n) if n == length as u64 => {
                Incoming::Malformed(format!("a message of {length} bytes is too large"))
            }
            _ => Incoming::End,
        };
    }
    let mut body = vec![0; length];
    if input.read_exact(&mut body).is_err() {
        return Incoming::End;
    }
    match serde_json::from_slice(&body) {
        Ok(value) => Incoming::Message(value),
        Err(e) => Incoming::Malformed(format!("the body is not JSON: {e}")),
    }
}

/// Writes one message with its header and flushes it.
pub fn write(output: &mut impl Write, message: &serde_json::Value) -> std::io::Result<()> {
    let body = message.to_string();
    write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &str) -> Vec<String> {
        let mut reader = std::io::BufReader::new(input.as_bytes());
        let mut seen = Vec::new();
        loop {
            match read(&mut reader) {
                Incoming::Message(v) => seen.push(v.to_string()),
                Incoming::Malformed(why) => seen.push(format!("malformed: {why}")),
                Incoming::End => return seen,
            }
        }
    }

    #[test]
    fn frames_are_read_in_turn_and_a_bad_one_does_not_lose_the_next() {
        let input = "Content-Length: 2\r\n\r\n{}\
                     Content-Length: 3\r\n\r\n{x}\
                     Content-Type: x\r\n\r\n\
                     Content-Length: 7\r\n\r\n[1,2,3]";
        assert_eq!(
            read_all(input),
            vec![
                "{}".to_string(),
                "malformed: the body is not JSON: key must be a string at line 1 column 2".into(),
                "malformed: no Content-Length header".into(),
                "[1,2,3]".into(),
            ]
        );
    }

    #[test]
    fn a_truncated_body_ends_the_stream() {
        assert!(read_all("Content-Length: 10\r\n\r\n{}").is_empty());
    }
}
