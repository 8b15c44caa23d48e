//! The layout tree: a runbook as the formatter sees it, built from the pest pairs. Comments are
//! silent in the grammar, so they are read back from the text between the pairs, along with the
//! punctuation, and attached to the items around them.

use crate::language::parser::Rule;
use pest::iterators::Pair;

/// A `//` or `/* */` comment between tokens (comments inside bodies stay in the body's text).
#[derive(Debug, Clone)]
pub struct Comment {
    pub text: String,
    /// It starts its own line.
    pub own_line: bool,
    /// An empty line comes before it.
    pub blank_before: bool,
    /// A newline follows it.
    pub newline_after: bool,
}

impl Comment {
    pub fn is_line_comment(&self) -> bool {
        self.text.starts_with("//")
    }
}

/// One piece of an item, in source order.
#[derive(Debug)]
pub enum Node {
    /// A keyword, name, string, number or duration, as written.
    Word(String),
    /// `:` `=` `,` `[` `]`.
    Punct(char),
    /// A rhai body, braces included, as written.
    Body(String),
    /// A `let` value's expression, as written (it may span lines).
    Expression(String),
    /// A comment inside an item, between two of its tokens.
    Comment(Comment),
    /// The `{ … }` of a runbook, procedure or host.
    Block(Block),
}

/// How an item is separated from its neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Steps, gates, procedures and `finally`: always an empty line around them.
    Spaced,
    /// The rest: an empty line only where the author left one.
    Plain,
}

/// Something that stands on its own line(s) inside a block: a declaration, a step, a setting.
#[derive(Debug)]
pub struct Item {
    pub kind: Kind,
    /// Comments on the lines before it.
    pub leading: Vec<Comment>,
    /// An empty line stands right before its first token.
    pub blank_before: bool,
    pub nodes: Vec<Node>,
    /// Comments after it on its last line.
    pub trailing: Vec<Comment>,
}

/// The items between a pair of braces (or of the whole file, which has none).
#[derive(Debug, Default)]
pub struct Block {
    /// Comments on the line of the opening brace.
    pub opening: Vec<Comment>,
    pub items: Vec<Item>,
    /// Comments on their own lines after the last item.
    pub closing: Vec<Comment>,
    /// The block was written on one line (kept so for hosts: `{ address a  user u }`).
    pub one_line: bool,
}

/// Builds the layout tree of a file from its `file` pair.
pub fn build(file: Pair<'_, Rule>, text: &str) -> Block {
    let mut builder = Builder { text, pos: 0 };
    let (_, block) = builder.block(file, false);
    block
}

/// What the text between two pairs holds besides blanks.
enum Lexeme {
    Punct(char),
    Comment(String),
}

struct Builder<'a> {
    text: &'a str,
    /// How far the text has been turned into nodes.
    pos: usize,
}

impl Builder<'_> {
    /// Lexes the text from `pos` to `end` into punctuation and comments, each with the number
    /// of newlines before it and the offset where it ends, plus the newlines after the last one.
    fn lex(&self, end: usize) -> (Vec<(Lexeme, usize, usize)>, usize) {
        let mut lexemes = Vec::new();
        let mut newlines = 0;
        let mut at = self.pos;
        while let Some(c) = self.text[at..end].chars().next() {
            let rest = &self.text[at..end];
            let len = if c == '\n' {
                newlines += 1;
                1
            } else if c.is_whitespace() {
                c.len_utf8()
            } else {
                let (lexeme, len) = if rest.starts_with("//") {
                    let len = rest.find('\n').unwrap_or(rest.len());
                    (Lexeme::Comment(rest[..len].trim_end().to_string()), len)
                } else if rest.starts_with("/*") {
                    let len = rest.find("*/").map_or(rest.len(), |i| i + 2);
                    (Lexeme::Comment(rest[..len].to_string()), len)
                } else {
                    (Lexeme::Punct(c), c.len_utf8())
                };
                lexemes.push((lexeme, newlines, at + len));
                newlines = 0;
                len
            };
            at += len;
        }
        (lexemes, newlines)
    }

    /// Consumes the text up to `end`: its lexemes with the newlines before each, and the
    /// newlines after the last one.
    fn gap(&mut self, end: usize) -> (Vec<(Lexeme, usize)>, usize) {
        let (lexemes, after) = self.lex(end);
        self.pos = end;
        (lexemes.into_iter().map(|(l, n, _)| (l, n)).collect(), after)
    }

    /// The text up to `end` as nodes inside an item. At the end of a pair (`tail`), only up to
    /// its last punctuation: a pest span may end with blanks and comments that belong to what
    /// follows.
    fn inline_gap(&mut self, end: usize, out: &mut Vec<Node>, tail: bool) {
        let end = if tail {
            let (lexemes, _) = self.lex(end);
            lexemes
                .iter()
                .rev()
                .find(|(l, _, _)| matches!(l, Lexeme::Punct(_)))
                .map_or(self.pos, |(_, _, at)| *at)
        } else {
            end
        };
        let (lexemes, after) = self.gap(end);
        push_inline(lexemes, after, out);
    }

    /// Appends the nodes of a pair that is not an item of a block.
    fn nodes(&mut self, pair: Pair<'_, Rule>, out: &mut Vec<Node>) {
        let span = pair.as_span();
        match pair.as_rule() {
            Rule::runbook | Rule::procedure | Rule::host_block => {
                let (header, block) = self.block(pair, true);
                out.extend(header);
                out.push(Node::Block(block));
            }
            Rule::body => {
                out.push(Node::Body(pair.as_str().to_string()));
                self.pos = span.end();
            }
            Rule::value_expr => {
                out.push(Node::Expression(pair.as_str().trim_end().to_string()));
                self.pos = span.end();
            }
            rule if rule == Rule::string || pair.clone().into_inner().next().is_none() => {
                out.push(Node::Word(pair.as_str().to_string()));
                self.pos = span.end();
            }
            _ => {
                for child in pair.into_inner() {
                    self.inline_gap(child.as_span().start(), out, false);
                    self.nodes(child, out);
                }
                self.inline_gap(span.end(), out, true);
            }
        }
    }

    /// A rule with braces (or the whole file, without): the nodes before its opening brace,
    /// and the block.
    fn block(&mut self, pair: Pair<'_, Rule>, braces: bool) -> (Vec<Node>, Block) {
        let mut open = !braces;
        let span = pair.as_span();
        let mut header = Vec::new();
        let mut block = Block {
            one_line: pair.as_rule() == Rule::host_block && !pair.as_str().contains('\n'),
            ..Block::default()
        };
        let mut leading: Vec<Comment> = Vec::new();
        for child in pair.into_inner() {
            let start = child.as_span().start();
            let newlines = self.block_gap(
                start,
                braces,
                &mut open,
                &mut header,
                &mut block,
                &mut leading,
            );
            if child.as_rule() == Rule::EOI {
                continue;
            }
            if !open {
                self.nodes(child, &mut header);
                continue;
            }
            let kind = match child.as_rule() {
                Rule::step | Rule::gate | Rule::procedure | Rule::finally => Kind::Spaced,
                _ => Kind::Plain,
            };
            let mut nodes = Vec::new();
            self.nodes(child, &mut nodes);
            block.items.push(Item {
                kind,
                leading: std::mem::take(&mut leading),
                blank_before: newlines > 1,
                nodes,
                trailing: Vec::new(),
            });
        }
        self.block_gap(
            span.end(),
            braces,
            &mut open,
            &mut header,
            &mut block,
            &mut leading,
        );
        block.closing = leading;
        (header, block)
    }

    /// The text between two children of a block rule: its braces, the comments before the
    /// brace (header), on the brace's line, after an item on its line, and on their own lines
    /// (leading the next item). Returns the newlines before what follows.
    fn block_gap(
        &mut self,
        end: usize,
        braces: bool,
        open: &mut bool,
        header: &mut Vec<Node>,
        block: &mut Block,
        leading: &mut Vec<Comment>,
    ) -> usize {
        let (lexemes, after) = self.gap(end);
        let mut lexemes = lexemes.into_iter().peekable();
        while let Some((lexeme, newlines)) = lexemes.next() {
            let newline_after = lexemes.peek().map_or(after, |(_, n)| *n) > 0;
            match lexeme {
                Lexeme::Punct('{') if !*open => *open = true,
                Lexeme::Punct('}') if *open => {}
                Lexeme::Punct(c) => header.push(Node::Punct(c)),
                Lexeme::Comment(text) => {
                    let comment = Comment {
                        text,
                        own_line: newlines > 0,
                        blank_before: newlines > 1,
                        newline_after,
                    };
                    if !*open {
                        header.push(Node::Comment(comment));
                    } else if newlines == 0 && leading.is_empty() {
                        match block.items.last_mut() {
                            Some(item) => item.trailing.push(comment),
                            None if !braces => leading.push(comment),
                            None => block.opening.push(comment),
                        }
                    } else {
                        leading.push(comment);
                    }
                }
            }
        }
        after
    }
}

/// Turns the lexemes of a gap inside an item into nodes.
fn push_inline(lexemes: Vec<(Lexeme, usize)>, after: usize, out: &mut Vec<Node>) {
    let mut lexemes = lexemes.into_iter().peekable();
    while let Some((lexeme, newlines)) = lexemes.next() {
        let newline_after = lexemes.peek().map_or(after, |(_, n)| *n) > 0;
        out.push(match lexeme {
            Lexeme::Punct(c) => Node::Punct(c),
            Lexeme::Comment(text) => Node::Comment(Comment {
                text,
                own_line: newlines > 0,
                blank_before: newlines > 1,
                newline_after,
            }),
        });
    }
}
