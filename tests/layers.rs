//! The layering rule: a module of xlate imports only from the layers below its own.
//!
//! The layers are declared once, in the table between the `layers` markers in
//! docs/ARCHITECTURE.md (a rank and a top-level module per row; modules of one rank are peers
//! and import nothing of each other). This test reads that table, scans every `src/**/*.rs`
//! (outside comments and string literals) for paths into other top-level modules, and fails
//! naming the file and line of each import that points up or sideways:
//! * `crate::module...` anywhere (a `use`, or a path in an expression or type), including
//!   every item of a `use crate::{a::x, b::y}` group, across lines;
//! * `super::...` chains that climb out of the file's own top-level module (inline `mod`
//!   blocks are counted, so `use super::*` in a unit-test module stays inside).
//!
//! `src/lib.rs` (which declares the modules) and `src/main.rs` (the command line, above every
//! layer, using the library as `xlate::`) are not checked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

const ARCHITECTURE: &str = "docs/ARCHITECTURE.md";

/// Top-level module -> rank, from the table in docs/ARCHITECTURE.md.
fn layers_from(doc: &str) -> HashMap<String, u32> {
    let start = doc.find("<!-- layers -->").expect("no `<!-- layers -->` marker in the architecture doc");
    let end = doc.find("<!-- /layers -->").expect("no `<!-- /layers -->` marker in the architecture doc");
    let mut layers = HashMap::new();
    for line in doc[start..end].lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | rank | `module` | ... |
        if cells.len() < 4 {
            continue;
        }
        let Ok(rank) = cells[1].parse::<u32>() else { continue };
        let module = cells[2].trim_matches('`');
        assert!(
            module.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "bad module name {module:?} in the layer table"
        );
        assert!(layers.insert(module.to_string(), rank).is_none(), "{module} listed twice");
    }
    assert!(!layers.is_empty(), "the layer table in {ARCHITECTURE} has no rows");
    layers
}

/// One import that breaks the rule.
#[derive(Debug, PartialEq)]
struct Violation {
    line: usize,
    from: String,
    to: String,
}

/// The source with comments and the contents of string and char literals blanked out (line
/// breaks kept, so line numbers stay right).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let blank = |out: &mut String, c: char| out.push(if c == '\n' { '\n' } else { ' ' });
    while i < b.len() {
        let c = b[i] as char;
        if c == '/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, b[i] as char);
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(b.get(i + 1), Some(b'"') | Some(b'#'))
            && !ident_byte(b, i.wrapping_sub(1))
        {
            // Raw string r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let body_end = src[j + 1..].find(&close).map_or(b.len(), |k| j + 1 + k + close.len());
            for ch in src[i..body_end].chars() {
                blank(&mut out, ch);
            }
            i = body_end;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    blank(&mut out, b[i] as char);
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(b, i) {
            let from = if b[i + 1] == b'\\' { i + 3 } else { i + 2 };
            let end =
                b[from.min(b.len())..].iter().position(|&x| x == b'\'').map_or(b.len(), |k| from + k + 1);
            for _ in i..end {
                out.push(' ');
            }
            i = end;
        } else {
            // Copy one whole UTF-8 character.
            let ch = src[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn ident_byte(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `'x'`, `'\n'`, `'\''`, `'\u{..}'` rather than a lifetime `'a`.
fn is_char_literal(b: &[u8], i: usize) -> bool {
    match b.get(i + 1) {
        Some(b'\\') => true,
        Some(_) => b.get(i + 2) == Some(&b'\'') || (b[i + 1] >= 0x80),
        None => false,
    }
}

/// The module path of a source file below `src/`: `frontend/x86_64/mod.rs` -> [frontend,
/// x86_64], `runtime/dispatcher/tests.rs` -> [runtime, dispatcher, tests].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let file = parts.pop().unwrap();
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

/// Checks one file (`rel`, relative to `src/`) against the layers.
fn check_source(rel: &Path, src: &str, layers: &HashMap<String, u32>) -> Vec<Violation> {
    let path = module_path(rel);
    let own = &path[0];
    let own_rank = *layers
        .get(own)
        .unwrap_or_else(|| panic!("src/{}: module `{own}` is not in the layer table", rel.display()));
    let code = code_only(src);
    let b = code.as_bytes();
    let line_of = |pos: usize| code[..pos].matches('\n').count() + 1;
    let mut out = Vec::new();
    let flag = |pos: usize, to: &str, out: &mut Vec<Violation>| {
        if let Some(&rank) = layers.get(to) {
            if to != own && rank >= own_rank {
                out.push(Violation { line: line_of(pos), from: own.clone(), to: to.to_string() });
            }
        }
    };
    // Inline `mod name {` blocks: their brace depth, to resolve `super`.
    let mut inline_mods: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let at_word = !ident_byte(b, i.wrapping_sub(1));
        if b[i] == b'{' {
            depth += 1;
            i += 1;
        } else if b[i] == b'}' {
            depth = depth.saturating_sub(1);
            if inline_mods.last() == Some(&depth) {
                inline_mods.pop();
            }
            i += 1;
        } else if at_word && code[i..].starts_with("mod ") {
            let rest = &code[i + 4..];
            let name_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            let after = rest[name_len..].trim_start();
            if after.starts_with('{') {
                inline_mods.push(depth);
            }
            i += 4;
        } else if at_word && code[i..].starts_with("crate::") {
            i += "crate::".len();
            for (pos, name) in first_segments(&code, i) {
                flag(pos, &name, &mut out);
            }
        } else if at_word && code[i..].starts_with("super::") {
            let start = i;
            let mut supers = 0;
            while code[i..].starts_with("super::") {
                supers += 1;
                i += "super::".len();
            }
            // The module `super` starts from: the file's module plus its inline modules.
            let here = path.len() + inline_mods.len();
            if supers >= here {
                let climbed_to_root = supers == here;
                if climbed_to_root {
                    for (_, name) in first_segments(&code, i) {
                        flag(start, &name, &mut out);
                    }
                } else {
                    out.push(Violation {
                        line: line_of(start),
                        from: own.clone(),
                        to: "(above the crate)".into(),
                    });
                }
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The first path segment(s) after `crate::` at `i`: one identifier, or every item's first
/// identifier of a `{...}` group (nested groups belong to their item). Positions are where
/// each segment starts.
fn first_segments(code: &str, i: usize) -> Vec<(usize, String)> {
    let rest = &code[i..];
    let ident = |s: &str| s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    if !rest.starts_with('{') {
        let n = ident(rest);
        return vec![(i, rest[..n].to_string())];
    }
    let mut names = Vec::new();
    let mut depth = 0;
    let mut expect_item = true;
    let mut j = 0;
    let bytes = rest.as_bytes();
    while j < bytes.len() {
        match bytes[j] {
            b'{' => {
                depth += 1;
                if depth == 1 {
                    expect_item = true;
                }
                j += 1;
            }
            b'}' => {
                depth -= 1;
                j += 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => {
                expect_item = true;
                j += 1;
            }
            c if depth == 1 && expect_item && (c.is_ascii_alphabetic() || c == b'_') => {
                let n = ident(&rest[j..]);
                names.push((i + j, rest[j..j + n].to_string()));
                expect_item = false;
                j += n;
            }
            _ => j += 1,
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_imports_only_from_layers_below_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join(ARCHITECTURE)).unwrap();
    let layers = layers_from(&doc);
    let src = root.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut top_modules = std::collections::BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        if rel == Path::new("lib.rs") || rel == Path::new("main.rs") {
            continue;
        }
        top_modules.insert(module_path(rel)[0].clone());
        let text = std::fs::read_to_string(file).unwrap();
        for v in check_source(rel, &text, &layers) {
            problems.push(format!(
                "src/{}:{}: `{}` imports from `{}`, which is not a layer below it",
                rel.display(),
                v.line,
                v.from,
                v.to
            ));
        }
    }
    let listed: std::collections::BTreeSet<String> = layers.keys().cloned().collect();
    assert_eq!(
        top_modules, listed,
        "the layer table in {ARCHITECTURE} must list exactly the modules in src/"
    );
    assert!(problems.is_empty(), "imports against the layers:\n{}", problems.join("\n"));
}

#[cfg(test)]
mod checker {
    use super::*;

    fn layers() -> HashMap<String, u32> {
        layers_from(
            "<!-- layers -->\n| rank | module | job |\n| --- | --- | --- |\n| 0 | `host` | h |\n\
             | 1 | `ir` | i |\n| 2 | `frontend` | f |\n| 2 | `backend` | b |\n| 3 | `runtime` | r |\n\
             <!-- /layers -->",
        )
    }

    fn check(file: &str, src: &str) -> Vec<(usize, String)> {
        check_source(Path::new(file), src, &layers()).into_iter().map(|v| (v.line, v.to)).collect()
    }

    #[test]
    fn downward_imports_pass() {
        let src =
            "use crate::ir::Block;\nuse crate::host::atomic::cas128;\nfn f() { crate::ir::verify(); }\n";
        assert_eq!(check("backend/x86_64/mod.rs", src), []);
        assert_eq!(check("runtime/program.rs", "use crate::{backend::X, frontend::Y, ir};"), []);
    }

    #[test]
    fn an_upward_import_fails_with_its_line() {
        let src = "//! doc\nuse crate::ir::Block;\nuse crate::runtime::StateHeader;\n";
        assert_eq!(check("ir/interp.rs", src), [(3, "runtime".to_string())]);
    }

    #[test]
    fn a_sideways_import_between_peers_fails() {
        assert_eq!(
            check("backend/aarch64/unaligned.rs", "use crate::frontend::x86_64::atomic::cas128;"),
            [(1, "frontend".to_string())]
        );
    }

    #[test]
    fn every_item_of_a_multiline_group_is_checked() {
        let src = "use crate::{\n    ir::{Block, Op},\n    runtime::Guest,\n};\n";
        assert_eq!(check("frontend/mod.rs", src), [(3, "runtime".to_string())]);
    }

    #[test]
    fn paths_in_code_are_checked_too() {
        let src = "fn f() -> u64 {\n    crate::runtime::run()\n}\n";
        assert_eq!(check("ir/opt.rs", src), [(2, "runtime".to_string())]);
    }

    #[test]
    fn comments_and_strings_are_not_imports() {
        let src = "/// See [`crate::runtime::X`].\n// crate::runtime\nconst S: &str = \"crate::runtime\";\n\
                   /* crate::runtime */ const R: &str = r#\"crate::runtime\"#;\nconst C: char = '\"';\n\
                   use crate::runtime::Y;\n";
        assert_eq!(check("ir/mod.rs", src), [(6, "runtime".to_string())]);
    }

    #[test]
    fn super_that_climbs_out_of_the_module_is_checked() {
        // frontend/x86_64/system.rs is frontend::x86_64::system: two supers reach `frontend`,
        // three reach the crate root.
        assert_eq!(check("frontend/x86_64/system.rs", "use super::super::CodeSource;"), []);
        assert_eq!(
            check("frontend/x86_64/system.rs", "use super::super::super::runtime::Guest;"),
            [(1, "runtime".to_string())]
        );
        assert_eq!(check("frontend/x86_64/system.rs", "use super::super::super::ir::Block;"), []);
    }

    #[test]
    fn super_inside_an_inline_module_stays_in_the_file() {
        let src = "mod tests {\n    use super::*;\n    use super::super::Block;\n}\nuse super::runtime::X;\n";
        // In ir/mod.rs: the test module's super is `ir`, its super::super the crate root
        // (`Block` is no module); the file's own `super::runtime` is the root's `runtime`.
        assert_eq!(check("ir/mod.rs", src), [(5, "runtime".to_string())]);
    }

    #[test]
    fn a_module_missing_from_the_table_is_reported() {
        let result = std::panic::catch_unwind(|| check("syscall/mod.rs", "use crate::ir::Block;"));
        assert!(result.is_err());
    }
}
