//! Prints the layout tree in the canonical layout: two spaces per level, one item per line,
//! single spaces between tokens, an empty line around steps, gates, procedures and `finally`
//! (elsewhere only where the author left one), comments where they were, a final newline.

use super::body;
use super::layout_tree::{Block, Comment, Item, Kind, Node};

const INDENT: &str = "  ";

/// The canonical text of a file's layout tree.
pub fn print(file: &Block) -> String {
    let mut printer = Printer { out: String::new() };
    printer.items(file, 0);
    printer.out
}

struct Printer {
    out: String,
}

impl Printer {
    fn indent(&mut self, depth: usize) {
        self.out.push_str(&INDENT.repeat(depth));
    }

    /// Ends the current line, without trailing blanks.
    fn newline(&mut self) {
        self.out
            .truncate(self.out.trim_end_matches([' ', '\t']).len());
        self.out.push('\n');
    }

    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n') || self.out.ends_with(' ')
    }

    fn space(&mut self) {
        if !self.at_line_start() {
            self.out.push(' ');
        }
    }

    fn comment_line(&mut self, comment: &Comment, depth: usize) {
        self.indent(depth);
        self.out.push_str(&comment.text);
        self.newline();
    }

    /// The items of a block, each on its own lines, then its closing comments.
    fn items(&mut self, block: &Block, depth: usize) {
        let mut previous: Option<&Item> = None;
        for item in &block.items {
            if let Some(previous) = previous {
                let spaced = item.kind == Kind::Spaced || previous.kind == Kind::Spaced;
                let author = item
                    .leading
                    .first()
                    .map_or(item.blank_before, |c| c.blank_before);
                if spaced || author {
                    self.blank_line();
                }
            }
            for (i, comment) in item.leading.iter().enumerate() {
                if i > 0 && comment.blank_before {
                    self.blank_line();
                }
                self.comment_line(comment, depth);
            }
            if !item.leading.is_empty() && item.blank_before {
                self.blank_line();
            }
            self.indent(depth);
            self.nodes(&item.nodes, depth);
            for comment in &item.trailing {
                self.space();
                self.out.push_str(&comment.text);
            }
            self.newline();
            previous = Some(item);
        }
        for comment in &block.closing {
            if comment.blank_before && !self.out.ends_with("{\n") {
                self.blank_line();
            }
            self.comment_line(comment, depth);
        }
    }

    /// The tokens of an item on its line; comments inside it may break it, the rest of the
    /// item then continuing one level deeper.
    fn nodes(&mut self, nodes: &[Node], depth: usize) {
        let mut after_bracket = false;
        // A comment ended the previous line: the next token starts the continuation line.
        let mut continuation = false;
        for (i, node) in nodes.iter().enumerate() {
            match node {
                Node::Word(word) => {
                    if !after_bracket {
                        self.space();
                    }
                    self.out.push_str(word);
                }
                // A trailing comma before `]` goes, the list being on one line.
                Node::Punct(',') if matches!(nodes.get(i + 1), Some(Node::Punct(']'))) => {}
                Node::Punct(c @ (':' | ',' | ']' | ';')) => self.out.push(*c),
                Node::Punct(c) => {
                    if !after_bracket {
                        self.space();
                    }
                    self.out.push(*c);
                }
                Node::Body(text) => {
                    self.space();
                    self.body(text, depth);
                }
                Node::Expression(text) => {
                    self.space();
                    self.expression(text, depth);
                }
                Node::Block(block) => {
                    self.space();
                    self.block(block, depth);
                }
                Node::Comment(comment) => {
                    if comment.own_line && !continuation {
                        self.newline();
                        self.indent(depth + 1);
                    } else {
                        self.space();
                    }
                    self.out.push_str(&comment.text);
                    if comment.is_line_comment() || comment.newline_after {
                        self.newline();
                        self.indent(depth + 1);
                    }
                }
            }
            after_bracket = matches!(node, Node::Punct('['));
            continuation =
                matches!(node, Node::Comment(c) if c.is_line_comment() || c.newline_after);
        }
    }

    fn body(&mut self, text: &str, depth: usize) {
        let code = &text[1..text.len() - 1];
        if !code.contains('\n') || code.trim().is_empty() {
            match code.trim() {
                "" => self.out.push_str("{}"),
                code => {
                    self.out.push_str("{ ");
                    self.out.push_str(code);
                    self.out.push_str(" }");
                }
            }
            return;
        }
        self.out.push('{');
        self.newline();
        for line in body::reindent(code, &INDENT.repeat(depth + 1)) {
            self.out.push_str(&line);
            self.out.push('\n');
        }
        self.indent(depth);
        self.out.push('}');
    }

    /// A value's expression: its continuation lines one level deeper than the `let`, keeping
    /// their indentation relative to one another, and a last line that closes a bracket back at
    /// the `let`'s level.
    fn expression(&mut self, text: &str, depth: usize) {
        let Some((head, tail)) = text.split_once('\n') else {
            self.out.push_str(text);
            return;
        };
        let (middle, closing) = match tail.rsplit_once('\n') {
            Some((middle, last)) if last.trim_start().starts_with(['}', ']', ')']) => {
                (Some(middle), Some(last))
            }
            None if tail.trim_start().starts_with(['}', ']', ')']) => (None, Some(tail)),
            _ => (Some(tail), None),
        };
        self.out.push_str(head.trim_end());
        if let Some(middle) = middle {
            let code = format!("\n{middle}");
            for line in body::reindent(&code, &INDENT.repeat(depth + 1)) {
                if !line.is_empty() {
                    self.newline();
                    self.out.push_str(&line);
                }
            }
        }
        if let Some(closing) = closing {
            self.newline();
            self.indent(depth);
            self.out.push_str(closing.trim());
        }
    }

    fn block(&mut self, block: &Block, depth: usize) {
        let inline = block.one_line
            && block.opening.is_empty()
            && block.closing.is_empty()
            && block.items.iter().all(|item| {
                item.leading.is_empty()
                    && item.trailing.is_empty()
                    && !item.nodes.iter().any(|n| matches!(n, Node::Comment(_)))
            });
        if inline {
            self.out.push('{');
            for (i, item) in block.items.iter().enumerate() {
                self.out.push_str(if i == 0 { " " } else { "  " });
                self.nodes(&item.nodes, depth);
            }
            self.out
                .push_str(if block.items.is_empty() { "}" } else { " }" });
            return;
        }
        self.out.push('{');
        for comment in &block.opening {
            self.space();
            self.out.push_str(&comment.text);
        }
        self.newline();
        self.items(block, depth + 1);
        self.indent(depth);
        self.out.push('}');
    }
}
