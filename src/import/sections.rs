//! A document's headings as a tree of sections, and the heading that titles the whole
//! document.

use super::markdown::{Block, Inline, Located};

/// A heading with the blocks under it (up to its first sub-heading) and its sub-sections.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: Inline,
    pub level: usize,
    pub line: usize,
    pub blocks: Vec<Located>,
    pub children: Vec<Section>,
}

/// A document cut into sections.
#[derive(Debug, Default)]
pub struct Document {
    /// The heading that titles the document: the only one of the highest level.
    pub title: Option<String>,
    /// The blocks under the title (or before the first heading) up to the next heading.
    pub intro: Vec<Located>,
    /// The top sections, the title's sub-sections among them, in reading order.
    pub sections: Vec<Section>,
}

/// Cuts blocks into sections.
pub fn document(blocks: Vec<Located>) -> Document {
    let title_level = title_level(&blocks);
    let mut doc = Document::default();
    // Sections still open, outermost first.
    let mut open: Vec<Section> = Vec::new();
    for located in blocks {
        let Block::Heading { level, text } = &located.block else {
            match open.last_mut() {
                Some(section) => section.blocks.push(located),
                None => doc.intro.push(located),
            }
            continue;
        };
        let level = *level;
        close_to(&mut open, level, &mut doc.sections);
        if Some(level) == title_level {
            // The blocks up to the next heading are the document's introduction.
            doc.title = Some(text.plain());
            continue;
        }
        open.push(Section {
            title: text.clone(),
            level,
            line: located.line,
            blocks: Vec::new(),
            children: Vec::new(),
        });
    }
    close_to(&mut open, 0, &mut doc.sections);
    doc
}

/// The level of the document's title: the highest level used, when exactly one heading has it.
fn title_level(blocks: &[Located]) -> Option<usize> {
    let levels: Vec<usize> = blocks
        .iter()
        .filter_map(|b| match &b.block {
            Block::Heading { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    let top = *levels.iter().min()?;
    (levels.iter().filter(|&&l| l == top).count() == 1).then_some(top)
}

/// Closes the open sections of level `level` or deeper, attaching each to its parent.
fn close_to(open: &mut Vec<Section>, level: usize, roots: &mut Vec<Section>) {
    while open.last().is_some_and(|s| s.level >= level) {
        let Some(done) = open.pop() else { break };
        match open.last_mut() {
            Some(parent) => parent.children.push(done),
            None => roots.push(done),
        }
    }
}

impl Section {
    /// The heading's text, without markup.
    pub fn heading(&self) -> String {
        self.title.plain()
    }

    /// Every block of the section and its sub-sections, sub-headings as text, in order.
    pub fn flattened(&self) -> Vec<Located> {
        let mut all = self.blocks.clone();
        for child in &self.children {
            all.push(Located {
                block: Block::Text {
                    text: child.title.clone(),
                    item: None,
                },
                line: child.line,
                depth: 0,
            });
            all.extend(child.flattened());
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::markdown;

    #[test]
    fn the_only_top_heading_titles_the_document() {
        let doc = document(markdown::read(
            "## Before\nx\n# Title\nintro\n## One\n### One.a\n## Two\n",
        ));
        assert_eq!(doc.title.as_deref(), Some("Title"));
        let names: Vec<String> = doc.sections.iter().map(Section::heading).collect();
        assert_eq!(names, ["Before", "One", "Two"]);
        assert_eq!(doc.sections[1].children[0].heading(), "One.a");
        assert_eq!(doc.sections[0].blocks.len(), 1);
    }

    #[test]
    fn several_top_headings_make_no_title() {
        let doc = document(markdown::read("intro\n# A\n# B\n"));
        assert_eq!(doc.title, None);
        assert_eq!(doc.intro.len(), 1);
        assert_eq!(doc.sections.len(), 2);
    }
}
