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

/// Why a runbook has no page.
pub enum PageProblem {
    /// It does not load, or its parameters are wrong.
    Diagnostics(Vec<Diagnostic>),
    /// The template failed.
    Render(String),
}

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
        text.map(|text| (page, text)).map_err(PageProblem::Render)
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

/// The runbooks directly inside `dir`, sorted.
pub fn runbooks_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rb42"))
        .collect();
    files.sort();
    Ok(files)
}
