//! Finding things in RON text: where each element of the top-level lists starts, and where a
//! field of an element is written, so that semantic problems can name a line and column.
//!
//! RON values carry no spans once parsed, so this is a small lexer of its own: it skips
//! strings, raw strings, characters and comments, and tracks bracket depth.

/// A 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextPosition {
    /// Line number, counting from 1.
    pub line: usize,
    /// Column number, counting characters (not bytes) from 1.
    pub column: usize,
}

impl std::fmt::Display for TextPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The byte range of one element of a top-level list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ElementSpan {
    start: usize,
    end: usize,
}

/// Where the elements of the top-level lists of a design file sit.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    lists: Vec<(String, Vec<ElementSpan>)>,
    /// Top-level keys and where they are written.
    keys: Vec<(String, usize)>,
    line_starts: Vec<usize>,
    /// The text, to count columns in characters.
    text: String,
}

impl SourceMap {
    /// Scan a design file's text. Never fails: broken text just yields fewer elements.
    pub fn scan(text: &str) -> Self {
        let mut map = SourceMap {
            line_starts: std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
            text: text.to_owned(),
            ..Self::default()
        };
        let bytes = text.as_bytes();
        let mut depth = 0usize;
        let mut i = 0usize;
        // The identifier most recently seen at depth 1, and whether a ':' followed it.
        let mut last_ident: Option<(String, usize)> = None;
        let mut current_key: Option<String> = None;
        // The list being recorded (at depth 2) and whether an element is expected next.
        let mut recording: Option<usize> = None;
        let mut expect_element = false;
        while i < bytes.len() {
            let b = bytes[i];
            // Skip comments.
            if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
                i = skip_block_comment(bytes, i);
                continue;
            }
            if b.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            if expect_element && depth == 2 && b != b']' {
                if let Some(list) = recording {
                    map.lists[list].1.push(ElementSpan { start: i, end: i });
                }
                expect_element = false;
            }
            match b {
                b'"' => i = skip_string(bytes, i),
                b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#')) => {
                    i = skip_raw_string(bytes, i)
                }
                b'\'' => i = skip_char(bytes, i),
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if depth == 2
                        && b == b'['
                        && let Some(key) = current_key.take()
                    {
                        map.lists.push((key, Vec::new()));
                        recording = Some(map.lists.len() - 1);
                        expect_element = true;
                    }
                    i += 1;
                }
                b')' | b']' | b'}' => {
                    if depth == 2 && b == b']' {
                        recording = None;
                        expect_element = false;
                    }
                    if depth == 3
                        && let Some(list) = recording
                        && let Some(last) = map.lists[list].1.last_mut()
                    {
                        last.end = i + 1;
                    }
                    depth = depth.saturating_sub(1);
                    i += 1;
                }
                b',' => {
                    if depth == 2 && recording.is_some() {
                        expect_element = true;
                    }
                    if depth == 1 {
                        current_key = None;
                    }
                    i += 1;
                }
                b':' => {
                    if depth == 1
                        && let Some((ident, at)) = last_ident.take()
                    {
                        map.keys.push((ident.clone(), at));
                        current_key = Some(ident);
                    }
                    i += 1;
                }
                _ if b.is_ascii_alphabetic() || b == b'_' => {
                    let start = i;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_')
                    {
                        i += 1;
                    }
                    if depth == 1 {
                        last_ident = Some((text[start..i].to_string(), start));
                    }
                }
                _ => i += 1,
            }
        }
        map
    }

    /// Where element `index` of the first list among `keys` starts.
    pub fn element(&self, keys: &[&str], index: usize) -> Option<TextPosition> {
        self.element_span(keys, index)
            .map(|span| self.position(span.start))
    }

    /// Where `field:` is written inside element `index` of a list (the first occurrence,
    /// searched in the given text), or where the element starts if the field is not written.
    pub fn field(
        &self,
        text: &str,
        keys: &[&str],
        index: usize,
        field: &str,
    ) -> Option<TextPosition> {
        let span = self.element_span(keys, index)?;
        let end = span.end.max(span.start).min(text.len());
        let body = text.get(span.start..end)?;
        let found = find_key(body, field).map(|offset| span.start + offset);
        Some(self.position(found.unwrap_or(span.start)))
    }

    /// Where a top-level key is written.
    pub fn key(&self, key: &str) -> Option<TextPosition> {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, at)| self.position(*at))
    }

    fn element_span(&self, keys: &[&str], index: usize) -> Option<ElementSpan> {
        keys.iter().find_map(|key| {
            self.lists
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, elements)| elements.get(index).copied())
        })
    }

    /// Line and column of a byte offset; columns count characters, as syntax errors' do.
    pub fn position(&self, offset: usize) -> TextPosition {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l.saturating_sub(1),
        };
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let before = self
            .text
            .as_bytes()
            .get(line_start..offset.max(line_start).min(self.text.len()))
            .unwrap_or_default();
        // Characters are the bytes that do not continue one (0b10xx_xxxx).
        let characters = before.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
        TextPosition {
            line: line + 1,
            column: characters + 1,
        }
    }
}

/// Line and column of a byte offset in `text`, counting columns in characters.
pub fn position_of_offset(text: &str, offset: usize) -> TextPosition {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    TextPosition { line, column }
}

/// Offset of the first comment (`//` or `/*`) in RON text, outside strings and characters.
pub fn first_comment(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'*')) => return Some(i),
            b'"' => i = skip_string(bytes, i),
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#')) => i = skip_raw_string(bytes, i),
            b'\'' => i = skip_char(bytes, i),
            _ => i += 1,
        }
    }
    None
}

/// Offset of `key` followed by optional space and ':' in `body`, outside strings and comments.
fn find_key(body: &str, key: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            i = skip_string(bytes, i);
            continue;
        }
        if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if b.is_ascii_alphabetic() || b == b'_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if &body[start..i] == key {
                let rest = body[i..].trim_start();
                if rest.starts_with(':') {
                    return Some(start);
                }
            }
            continue;
        }
        i += 1;
    }
    None
}

fn skip_block_comment(bytes: &[u8], mut i: usize) -> usize {
    let mut nesting = 0usize;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            nesting += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            nesting = nesting.saturating_sub(1);
            i += 2;
            if nesting == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

fn skip_string(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

fn skip_raw_string(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    let mut hashes = 0;
    while bytes.get(i) == Some(&b'#') {
        hashes += 1;
        i += 1;
    }
    if bytes.get(i) != Some(&b'"') {
        return i;
    }
    i += 1;
    while i < bytes.len() {
        if bytes[i] == b'"'
            && bytes[i + 1..]
                .iter()
                .take(hashes)
                .filter(|b| **b == b'#')
                .count()
                == hashes
        {
            return i + 1 + hashes;
        }
        i += 1;
    }
    i
}

fn skip_char(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\'' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_found_outside_strings_only() {
        assert_eq!(first_comment("(a: 1) // note"), Some(7));
        assert_eq!(first_comment("(a: 1, /* note */ b: 2)"), Some(7));
        assert_eq!(
            first_comment(r#"(name: "http://x /* y */", r: r"//")"#),
            None
        );
        assert_eq!(first_comment(r#"(c: '/', d: "a\"//", e: 1)"#), None);
        assert_eq!(first_comment(r#"(d: "a\"", e: 1) // after"#), Some(17));
    }

    const TEXT: &str = r#"(
    version: 1,
    components: [
        (
            name: "a, not ] a list end",
            kind: Server(size: "x"),
        ),
        // a comment with ( brackets
        (
            name: "b",
            kind: Cache(capacity_per_s: -1.0),
        ),
    ],
    links: [(from: "a", to: "b")],
)"#;

    #[test]
    fn finds_each_element_of_each_list() {
        let map = SourceMap::scan(TEXT);
        assert_eq!(
            map.element(&["components"], 0),
            Some(TextPosition { line: 4, column: 9 })
        );
        assert_eq!(
            map.element(&["components"], 1),
            Some(TextPosition { line: 9, column: 9 })
        );
        assert_eq!(map.element(&["components"], 2), None);
        assert_eq!(
            map.element(&["links"], 0),
            Some(TextPosition {
                line: 14,
                column: 13
            })
        );
        assert_eq!(
            map.key("links"),
            Some(TextPosition {
                line: 14,
                column: 5
            })
        );
    }

    #[test]
    fn finds_a_field_inside_an_element() {
        let map = SourceMap::scan(TEXT);
        assert_eq!(
            map.field(TEXT, &["components"], 1, "capacity_per_s"),
            Some(TextPosition {
                line: 11,
                column: 25
            })
        );
        // A field that is not written falls back to the element.
        assert_eq!(
            map.field(TEXT, &["components"], 1, "timeout_ms"),
            Some(TextPosition { line: 9, column: 9 })
        );
    }

    #[test]
    fn broken_text_does_not_panic() {
        for cut in 0..TEXT.len() {
            if TEXT.is_char_boundary(cut) {
                let _ = SourceMap::scan(&TEXT[..cut]).element(&["components"], 0);
            }
        }
    }
}
