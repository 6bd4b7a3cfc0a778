//! Placeholder until helper "http"'s `http.rs` lands: it replaces this file.
pub fn run(_: &crate::tools::Tools) -> Vec<crate::report::Row> {
    Vec::new()
}
