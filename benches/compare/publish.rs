//! Writing a run into the repository's committed files (`--publish`).
//!
//! Measurements live where the runner writes them: `docs/benchmarks.md`
//! holds one marked block per runner, and README.md one short summary
//! block. A runner replaces only the text between its own markers,
//!
//! ```text
//! <!-- NAME:start -->
//! ...generated...
//! <!-- NAME:end -->
//! ```
//!
//! so the hand-written prose around the blocks, and the other runner's
//! block, stay as they are. The servers runner includes this file too.

use std::io;
use std::path::{Path, PathBuf};

/// The workspace root: the directory above `benches/`, where this runner's
/// manifest is.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Replaces the text between `<!-- name:start -->` and `<!-- name:end -->`
/// in the file at `path` with `body`. A file without the markers is an
/// error: the markers say where generated text may go, and guessing a
/// place would overwrite prose.
pub fn replace_block(path: &Path, name: &str, body: &str) -> io::Result<()> {
    let text = std::fs::read_to_string(path)?;
    let start = format!("<!-- {name}:start -->");
    let end = format!("<!-- {name}:end -->");
    let missing = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} has no `{start}` … `{end}` block", path.display()),
        )
    };
    let open = text.find(&start).ok_or_else(missing)? + start.len();
    let close = open + text[open..].find(&end).ok_or_else(missing)?;
    let mut out = String::with_capacity(text.len() + body.len());
    out.push_str(&text[..open]);
    out.push('\n');
    out.push_str(body.trim_end());
    out.push('\n');
    out.push_str(&text[close..]);
    std::fs::write(path, out)
}

#[cfg(test)]
mod tests {
    use super::replace_block;

    #[test]
    fn replace_block_keeps_the_text_around_the_markers() {
        let dir = std::env::temp_dir().join(format!("corio-publish-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("x.md");
        std::fs::write(
            &file,
            "intro\n<!-- a:start -->\nold\n<!-- a:end -->\noutro\n",
        )
        .unwrap();
        replace_block(&file, "a", "new\n").unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            "intro\n<!-- a:start -->\nnew\n<!-- a:end -->\noutro\n"
        );
        assert!(replace_block(&file, "b", "x").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
