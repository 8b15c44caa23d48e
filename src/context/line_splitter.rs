//! Command output on its fast path is read in big chunks, split into whole lines here, and
//! handed to every consumer as one batch of lines (`event::OutputLines`) instead of one event
//! per line, so the terminal gets one write and the journal one lock and one write per batch.
//!
//! A line is only ever handed on whole: the unfinished end of a chunk is held back until the
//! rest of its line arrives ([`LineSplitter`]). Secrets are masked line by line, as single
//! `Output` events are, so a secret cut in two by a chunk boundary is still masked.

/// Splits bytes read in chunks into whole lines, holding back a line's start until its end.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// The lines `chunk` completes, each with its `\n` (invalid UTF-8 replaced, as a line read
    /// alone is).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let Some(last) = chunk.iter().rposition(|&b| b == b'\n') else {
            self.pending.extend_from_slice(chunk);
            return Vec::new();
        };
        let (whole, rest) = chunk.split_at(last + 1);
        let mut pieces = whole.split_inclusive(|&b| b == b'\n');
        let mut lines = Vec::new();
        if !self.pending.is_empty()
            && let Some(end) = pieces.next()
        {
            let mut started = std::mem::take(&mut self.pending);
            started.extend_from_slice(end);
            lines.push(text(started));
        }
        lines.extend(pieces.map(|piece| String::from_utf8_lossy(piece).into_owned()));
        self.pending.extend_from_slice(rest);
        lines
    }

    /// The last line, when the output ended without a `\n`.
    pub fn finish(&mut self) -> Option<String> {
        (!self.pending.is_empty()).then(|| text(std::mem::take(&mut self.pending)))
    }
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::LineSplitter;

    /// Every line of `chunks` read one after the other.
    fn split(chunks: &[&[u8]]) -> Vec<String> {
        let mut splitter = LineSplitter::default();
        let mut lines: Vec<String> = chunks.iter().flat_map(|c| splitter.push(c)).collect();
        lines.extend(splitter.finish());
        lines
    }

    #[test]
    fn lines_cut_by_chunk_boundaries_come_out_whole() {
        let lines = split(&[b"one\ntw", b"o\nthr", b"e", b"e\n\nfour"]);
        assert_eq!(lines, ["one\n", "two\n", "three\n", "\n", "four"]);
        assert_eq!(split(&[b"a\n", b"b\n"]), ["a\n", "b\n"]);
        assert!(split(&[b"", b""]).is_empty());
    }

    #[test]
    fn a_character_cut_by_a_chunk_boundary_is_kept_whole() {
        let word = "déjà vu\n".as_bytes();
        assert_eq!(split(&[&word[..2], &word[2..]]), ["déjà vu\n"]);
        assert_eq!(split(&[b"\xff\n"]), ["\u{fffd}\n"]);
    }
}
