//! `--help` for the examples: `support::args` answers it before reading
//! flags, and an example that reads its own command line takes this file
//! alone, with `#[path = "../support/help.rs"] mod help;`.
//!
//! An example's opening comment already says what it shows and which seed it
//! comes from; `--help` prints that comment, read from the example's own
//! source at compile time, so the two cannot drift apart.

/// When the command line asks for help (`--help` or `-h` anywhere), prints
/// what the example shows — the `//!` comment at the top of `source` — and
/// its flags, and returns `true`: the example then exits with success.
/// `flags` lists the example's own arguments, one per line; empty when it
/// takes none.
pub fn requested(source: &str, flags: &str) -> bool {
    if !std::env::args()
        .skip(1)
        .any(|arg| arg == "--help" || arg == "-h")
    {
        return false;
    }
    for line in source.lines().map_while(|line| line.strip_prefix("//!")) {
        println!("{}", line.strip_prefix(' ').unwrap_or(line));
    }
    println!();
    println!("flags:");
    for flag in flags.lines() {
        println!("  {flag}");
    }
    println!("  -h, --help   print this and exit");
    if flags.is_empty() {
        println!("  (no others: it runs by itself and exits)");
    }
    true
}
