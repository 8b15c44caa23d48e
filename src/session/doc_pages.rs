//! `runbook doc`'s pages: a runbook traced and drawn as a page (Markdown through the templates,
//! or the page model as JSON), the index of a directory's pages, and the runbooks a directory
//! holds.

use super::doc_trace::{self, TraceInputs};
use crate::diagnostic::Diagnostic;
use crate::render::page::{Index, Page};
use crate::render::templates::Templates;
use std::path::{Path, PathBuf};

/// Draws pages with one set of inputs and templates.
pub struct PageRenderer {
    inputs: TraceInputs,
    templates: Templates,
    /// The page model as JSON instead of Markdown.
    json: bool,
}

/// Why a runbook (or a directory of them) has no page.
pub enum PageProblem {
    /// It does not load, or its parameters are wrong.
    Diagnostics(Vec<Diagnostic>),
    /// The template failed, the directory cannot be read or holds no runbook: in words.
    Render(String),
}

/// Pages to write: where each goes, and its text.
pub type Pages = Vec<(PathBuf, String)>;

impl PageRenderer {
    /// The embedded templates, or `template` (a user's page template) in their place.
    pub fn new(inputs: TraceInputs, template: Option<&Path>, json: bool) -> Result<Self, String> {
        Ok(Self {
            inputs,
            templates: Templates::new(template)?,
            json,
        })
    }

    /// The file extension of the pages drawn.
    pub fn extension(&self) -> &'static str {
        if self.json { "json" } else { "md" }
    }

    /// The page of one runbook, and its rendering.
    pub fn page(&self, file: &Path) -> Result<(Page, String), PageProblem> {
        let traced =
            doc_trace::trace_file(file, &self.inputs, None).map_err(PageProblem::Diagnostics)?;
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let page = Page::new(&traced, &name, &self.inputs.params);
        let text = if self.json {
            Ok(serde_json::to_string_pretty(&page).unwrap_or_default() + "\n")
        } else {
            self.templates.page(&page)
        };
        text.map(|text| (page, text)).map_err(|e| {
            PageProblem::Render(format!("{}: cannot render the page: {e}", file.display()))
        })
    }

    /// The page of every runbook directly in `dir`, and their index, each to its file in
    /// `out_dir`; every problem found otherwise.
    pub fn directory(&self, dir: &Path, out_dir: &Path) -> Result<Pages, Vec<PageProblem>> {
        let files = match runbooks_in(dir) {
            Ok(files) if files.is_empty() => {
                let why = format!("no .rb42 file in {}", dir.display());
                return Err(vec![PageProblem::Render(why)]);
            }
            Ok(files) => files,
            Err(e) => {
                let why = format!("cannot read {}: {e}", dir.display());
                return Err(vec![PageProblem::Render(why)]);
            }
        };
        let extension = self.extension();
        let mut outputs = Vec::new();
        let mut pages = Vec::new();
        let mut problems = Vec::new();
        for file in &files {
            match self.page(file) {
                Ok((page, text)) => {
                    let name = Path::new(&page.page).with_extension(extension);
                    outputs.push((out_dir.join(name), text));
                    pages.push(page);
                }
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let index = self
            .index(&pages)
            .map_err(|e| vec![PageProblem::Render(format!("cannot render the index: {e}"))])?;
        outputs.push((out_dir.join(format!("index.{extension}")), index));
        Ok(outputs)
    }

    /// The index of `pages`.
    pub fn index(&self, pages: &[Page]) -> Result<String, String> {
        let index = Index::new(pages);
        if self.json {
            Ok(serde_json::to_string_pretty(&index).unwrap_or_default() + "\n")
        } else {
            self.templates.index(&index)
        }
    }
}

/// Writes `pages`, making their directory first when `dir` is given; why it could not.
pub fn write(pages: &Pages, dir: Option<&Path>) -> Result<(), String> {
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    for (path, text) in pages {
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The runbooks directly inside `dir`, sorted.
fn runbooks_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rb42"))
        .collect();
    files.sort();
    Ok(files)
}
