//! Reading a Markdown document into a flat list of blocks in reading order: headings, text
//! (paragraphs and list items, with their list nesting), code blocks and tables.
//!
//! The parsing is pulldown-cmark's: a CommonMark parser that is well kept (maintained since
//! 2015, used by rustdoc and mdBook), pure Rust with three small dependencies, and that never
//! recurses on the input's nesting, so a hostile document cannot overflow the stack. Writing
//! our own would mean re-deciding CommonMark's many corner cases (lazy continuation lines,
//! list indentation, fences inside lists) that operators' documents rely on without knowing.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// Inline text: what a reader sees, code spans kept in backticks, and the code spans apart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inline {
    /// The text with code spans in backticks, links as their text, images as their alt text.
    pub text: String,
    /// The content of each code span, in order.
    pub codes: Vec<String>,
    /// Whether the text is nothing but links (a table of contents).
    pub only_links: bool,
}

impl Inline {
    /// The text without the backticks of code spans, blanks squeezed.
    pub fn plain(&self) -> String {
        squeeze(&self.text.replace('`', ""))
    }
}

/// What a block is.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading {
        level: usize,
        text: Inline,
    },
    /// A paragraph; the first paragraph of a list item carries `item`.
    Text {
        text: Inline,
        item: Option<Item>,
    },
    /// A fenced or indented code block; `closed` is false when its fence never closes.
    Code {
        lang: String,
        text: String,
        closed: bool,
    },
    Table {
        rows: Vec<Vec<String>>,
    },
}

/// The mark of a list item: its number in an ordered list, none in a bullet list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Item {
    pub number: Option<u64>,
}

/// A block with its 1-based line and its list nesting (0: not in a list).
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub block: Block,
    pub line: usize,
    pub depth: usize,
}

/// The blocks of a document.
pub fn read(text: &str) -> Vec<Located> {
    let lines = LineIndex::new(text);
    let mut reader = Reader::default();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        let line = lines.line_of(range.start);
        match event {
            Event::Start(tag) => reader.start(tag, line, &text[range]),
            Event::End(tag) => reader.end(tag),
            Event::Text(t) => reader.text(&t),
            Event::Code(c) => reader.code(&c),
            Event::Html(h) | Event::InlineHtml(h) => reader.html(&h),
            Event::InlineMath(t) | Event::DisplayMath(t) => reader.text(&t),
            Event::SoftBreak | Event::HardBreak => reader.text(" "),
            Event::FootnoteReference(_) | Event::Rule | Event::TaskListMarker(_) => {}
        }
    }
    reader.flush();
    reader.blocks
}

/// The reading state: where in the document's nesting the parser is.
#[derive(Default)]
struct Reader {
    blocks: Vec<Located>,
    /// Open lists: whether each is ordered, and the next item's number.
    lists: Vec<Option<u64>>,
    /// An item was opened and its first text not yet seen.
    pending_item: Option<Item>,
    /// The inline text being gathered, with where it started.
    inline: Option<(Inline, usize, Option<Item>)>,
    /// Inside a link or image: its text does not count as plain text.
    in_link: usize,
    /// Text outside links seen in the current inline.
    plain_seen: bool,
    heading: Option<usize>,
    code: Option<(String, String, bool, usize)>,
    table: Option<(Vec<Vec<String>>, usize)>,
}

impl Reader {
    fn depth(&self) -> usize {
        self.lists.len()
    }

    fn start(&mut self, tag: Tag<'_>, line: usize, source: &str) {
        match tag {
            Tag::Heading { level, .. } => {
                self.flush();
                self.heading = Some(level as usize);
                self.begin_inline(line);
            }
            Tag::Paragraph => {
                // The first paragraph of a loose list item is the item's text.
                let item_text_pending =
                    matches!(&self.inline, Some((inline, _, Some(_))) if inline.text.is_empty());
                if !item_text_pending {
                    self.flush();
                    self.begin_inline(line);
                }
            }
            Tag::List(first) => {
                self.flush();
                self.lists.push(first);
            }
            Tag::Item => {
                self.flush();
                let number = self.lists.last_mut().and_then(|n| {
                    let this = *n;
                    *n = n.map(|v| v.saturating_add(1));
                    this
                });
                self.pending_item = Some(Item { number });
                // A tight item's text comes without a paragraph.
                self.begin_inline(line);
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                let (lang, closed) = match kind {
                    CodeBlockKind::Fenced(info) => {
                        let lang = info.split_whitespace().next().unwrap_or("").to_lowercase();
                        (lang, fence_closes(source))
                    }
                    CodeBlockKind::Indented => (String::new(), true),
                };
                self.code = Some((lang, String::new(), closed, line));
            }
            Tag::Table(_) => {
                self.flush();
                self.table = Some((Vec::new(), line));
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some((rows, _)) = &mut self.table {
                    rows.push(Vec::new());
                }
            }
            Tag::TableCell => self.begin_inline(line),
            Tag::Link { .. } | Tag::Image { .. } => self.in_link += 1,
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) | TagEnd::Paragraph | TagEnd::Item => self.flush(),
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::CodeBlock => {
                if let Some((lang, text, closed, line)) = self.code.take() {
                    self.push(Block::Code { lang, text, closed }, line);
                }
            }
            TagEnd::TableCell => {
                let cell = self
                    .inline
                    .take()
                    .map(|(i, ..)| i.plain())
                    .unwrap_or_default();
                if let Some(row) = self.table.as_mut().and_then(|(rows, _)| rows.last_mut()) {
                    row.push(cell);
                }
            }
            TagEnd::Table => {
                if let Some((rows, line)) = self.table.take() {
                    self.push(Block::Table { rows }, line);
                }
            }
            TagEnd::Link | TagEnd::Image => self.in_link = self.in_link.saturating_sub(1),
            _ => {}
        }
    }

    fn begin_inline(&mut self, line: usize) {
        let item = self.pending_item.take();
        self.inline = Some((Inline::default(), line, item));
        self.plain_seen = false;
    }

    fn text(&mut self, text: &str) {
        if let Some((_, code, ..)) = &mut self.code {
            code.push_str(text);
            return;
        }
        if self.inline.is_none() {
            // Text straight inside a block quote or an item after a nested block.
            let line = self.blocks.last().map_or(1, |b| b.line);
            self.begin_inline(line);
        }
        if self.in_link == 0 && !text.trim().is_empty() {
            self.plain_seen = true;
        }
        if let Some((inline, ..)) = &mut self.inline {
            inline.text.push_str(text);
        }
    }

    fn code(&mut self, code: &str) {
        self.text("");
        self.plain_seen = true;
        if let Some((inline, ..)) = &mut self.inline {
            inline.text.push('`');
            inline.text.push_str(code);
            inline.text.push('`');
            inline.codes.push(code.to_string());
        }
    }

    fn html(&mut self, html: &str) {
        // Comments are the author's notes to themselves; other HTML is kept as text.
        if !html.trim_start().starts_with("<!--") {
            self.text(html.trim_end_matches('\n'));
        }
    }

    /// Ends the inline text being gathered, as a heading or a text block.
    fn flush(&mut self) {
        let Some((mut inline, line, item)) = self.inline.take() else {
            return;
        };
        inline.text = squeeze(&inline.text);
        inline.only_links = !self.plain_seen && !inline.text.is_empty();
        if let Some(level) = self.heading.take() {
            self.push(
                Block::Heading {
                    level,
                    text: inline,
                },
                line,
            );
        } else if !inline.text.is_empty() || item.is_some() {
            self.push(Block::Text { text: inline, item }, line);
        }
    }

    fn push(&mut self, block: Block, line: usize) {
        // An item's own blocks (its text, code, sub-lists) nest one level below its list.
        let depth = self.depth();
        self.blocks.push(Located { block, line, depth });
    }
}

/// Whether a fenced code block's source ends with a closing fence (pulldown-cmark runs an
/// unclosed fence to the end of the document or its container).
fn fence_closes(source: &str) -> bool {
    let mut lines = source.lines();
    let opening = lines.next().unwrap_or("").trim_start();
    let fence_char = opening.chars().next().unwrap_or('`');
    let width = opening.chars().take_while(|&c| c == fence_char).count();
    let Some(last) = lines.rfind(|l| !l.trim().is_empty()) else {
        return false;
    };
    let last = last.trim();
    last.chars().all(|c| c == fence_char) && last.chars().count() >= width
}

/// Blanks (newlines included) squeezed to single spaces, ends trimmed.
pub fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Byte offsets of line starts, for 1-based line numbers.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self(starts)
    }

    fn line_of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}
