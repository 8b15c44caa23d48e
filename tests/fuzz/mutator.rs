//! A small deterministic mutation engine for the fuzz tests: byte flips, token insertions and
//! deletions, duplications, splices of two corpus files, truncations, deep nesting, huge tokens,
//! invalid UTF-8 and NUL bytes. The same seed always yields the same inputs.

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }
}

/// Words and punctuation of the language and of rhai, and awkward characters.
const TOKENS: &[&str] = &[
    "runbook",
    "procedure",
    "step",
    "rollback",
    "finally",
    "guard",
    "confirm",
    "param",
    "secret",
    "use",
    "as",
    "host",
    "group",
    "inventory",
    "on",
    "forks",
    "tolerate",
    "retry",
    "every",
    "backoff",
    "timeout",
    "when",
    "default",
    "description",
    "owner",
    "contact",
    "tags",
    "one of",
    "env",
    "file",
    "prompt",
    "optional",
    "help",
    "from",
    "address",
    "user",
    "port",
    "option",
    "string",
    "int",
    "bool",
    "duration",
    "list",
    "all",
    "50%",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\"",
    "\\",
    "\\u{",
    "`",
    "${",
    "'",
    "/*",
    "*/",
    "//",
    "\n",
    "\r",
    "\t",
    " ",
    ",",
    ";",
    ":",
    "=",
    "==",
    "=>",
    "|",
    "||",
    "&&",
    "!",
    "-",
    "+",
    "*",
    "**",
    ".",
    "?.",
    "::",
    "#{",
    "1h30m",
    "0ms",
    "999999999999999999999999",
    "-1",
    "1.5",
    "1e308",
    "0x7fffffffffffffff",
    "true",
    "let",
    "const",
    "fn",
    "loop",
    "while",
    "for",
    "in",
    "if",
    "else",
    "switch",
    "do",
    "until",
    "break",
    "continue",
    "return",
    "throw",
    "try",
    "catch",
    "import",
    "export",
    "private",
    "this",
    "Fn",
    "call",
    "curry",
    "eval",
    "print",
    "debug",
    "sh",
    "run",
    "publish",
    "quote",
    "log",
    "fail",
    "sleep",
    "query",
    "docker",
    "http_get",
    "m::f",
    "\u{feff}",
    "é",
    "\u{1F680}",
    "\u{202e}",
    "\u{0}",
];

/// Hostile fragments that nest or grow: each used with a large repetition count.
pub const NESTERS: &[(&str, &str)] = &[
    ("{", "}"),
    ("[", "]"),
    ("(", ")"),
    ("-", "1"),
    ("!", "true"),
    ("|| ", "1"),
    ("if true { ", "}"),
    ("`${", "}`"),
    ("/*", "*/"),
    ("1+", "1"),
    ("2**", "2"),
    ("a.", "b"),
    ("x[0]", ""),
    ("#{a:", "}"),
];

/// One input made from `input` by one to four stacked mutations.
pub fn mutate(rng: &mut Rng, corpus: &[Vec<u8>], input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = boundary(&out, rng.below(out.len() + 1));
        match rng.below(10) {
            0 => {
                if let Some(byte) = out.get_mut(at) {
                    *byte ^= 1 << rng.below(8);
                }
            }
            1 | 2 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.bytes());
            }
            3 => {
                let end = boundary(&out, (at + 1 + rng.below(64)).min(out.len()));
                out.drain(at..end);
            }
            4 => {
                let end = boundary(&out, (at + 1 + rng.below(256)).min(out.len()));
                let copy = out[at..end].to_vec();
                let to = boundary(&out, rng.below(out.len() + 1));
                out.splice(to..to, copy);
            }
            5 => {
                let other = &corpus[rng.below(corpus.len())];
                let from = boundary(other, rng.below(other.len() + 1));
                out.truncate(at);
                out.extend_from_slice(&other[from..]);
            }
            6 => out.truncate(at),
            7 => {
                let bad: &[u8] = [
                    &b"\0"[..],
                    b"\xff",
                    b"\xc3",
                    b"\xed\xa0\x80",
                    b"\xf4\x90\x80\x80",
                ][rng.below(5)];
                out.splice(at..at, bad.iter().copied());
            }
            8 => {
                let (open, close) = NESTERS[rng.below(NESTERS.len())];
                let depth = [8, 64, 65, 127, 129, 1000, 20_000][rng.below(7)];
                let grown = format!("{}{}", open.repeat(depth), close.repeat(depth));
                out.splice(at..at, grown.into_bytes());
            }
            _ => {
                let size = [4096, 65_536, 1 << 20][rng.below(3)];
                let huge = match rng.below(4) {
                    0 => "a".repeat(size),
                    1 => format!("\"{}\"", "x".repeat(size)),
                    2 => "9".repeat(size),
                    _ => "é".repeat(size / 2),
                };
                out.splice(at..at, huge.into_bytes());
            }
        }
    }
    out
}

/// The first character boundary at or after `at`, so most mutations keep the text UTF-8.
fn boundary(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && (bytes[at] & 0xC0) == 0x80 {
        at += 1;
    }
    at
}

/// Every prefix of `input` that ends at the end of a token (`fine`), or at every eighth line.
pub fn truncations(input: &[u8], fine: bool) -> impl Iterator<Item = &[u8]> {
    let mut lines = 0;
    (0..input.len())
        .filter(move |&i| {
            if i == 0 || boundary(input, i) != i {
                false
            } else if fine {
                !input[i - 1].is_ascii_alphanumeric()
            } else {
                lines += usize::from(input[i - 1] == b'\n');
                input[i - 1] == b'\n' && lines % 8 == 0
            }
        })
        .map(|i| &input[..i])
}
