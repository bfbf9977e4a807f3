//! Design files: RON with a `version` field, a stable field order (so a one-value edit is a
//! one-line diff), migration of older versions on load, and atomic saves.
//!
//! Reading goes text → [`DesignFile`] (syntax and types, with line and column from ron) →
//! [`Design`] (link ends resolved by name) → validation ([`super::validate`]), whose issues are
//! placed back on lines of the text by [`SourceMap`].

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::component::Component;
use super::design::Design;
use super::link::{Link, LinkRecord};
use super::locate::{SourceMap, TextPosition, first_comment, position_of_offset};
use super::pricing::PriceTable;
use super::scenario::Scenario;
use super::validate::{Issue, Severity, Subject, validate};

/// The version this build writes. Older versions are migrated when read.
pub const CURRENT_VERSION: u32 = 4;

/// The RON dialect of design files, stated in a header line so that any RON reader agrees:
/// newtype variants are written without a second pair of parentheses
/// (`Server(size: "large")`), and optional values are written bare (`until_s: 300.0`).
const HEADER: &str = "#![enable(unwrap_variant_newtypes, implicit_some)]\n";

fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// A design as written in a file, current version. Field order here is the order in files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignFile {
    /// Format version the file was written in; older versions are migrated on load, and saving
    /// writes `CURRENT_VERSION`.
    pub version: u32,
    /// The design's name.
    pub name: String,
    /// One line that says what the design shows (empty when left out).
    #[serde(default)]
    pub description: String,
    /// The components in id order; links and failures refer to them by name.
    pub components: Vec<Component>,
    /// The links, their ends named by component (none when left out).
    #[serde(default)]
    pub links: Vec<LinkRecord>,
    /// The scenarios (none when left out, which validation refuses: a design needs one to run).
    #[serde(default)]
    pub scenarios: Vec<Scenario>,
    /// Name of the scenario that runs when none is asked for; must be one of `scenarios`.
    #[serde(default)]
    pub default_scenario: String,
    /// The fixes made to the design so far (version 4; left out when there are none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journey: Option<super::journey::Journey>,
}

/// Version 0 of the format: lists called `nodes` and `edges`, links without weights, and a
/// single `scenario`. Kept so that files written by the first builds still open.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DesignFileV0 {
    #[allow(dead_code)]
    version: u32,
    name: String,
    nodes: Vec<Component>,
    #[serde(default)]
    edges: Vec<EdgeV0>,
    scenario: Option<Scenario>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeV0 {
    from: String,
    to: String,
    classes: Vec<super::component::TrafficClass>,
}

impl From<DesignFileV0> for DesignFile {
    fn from(old: DesignFileV0) -> Self {
        let scenario = old.scenario.unwrap_or_default();
        DesignFile {
            version: CURRENT_VERSION,
            name: old.name,
            description: String::new(),
            components: old.nodes,
            links: old
                .edges
                .into_iter()
                .map(|e| LinkRecord {
                    from: e.from,
                    to: e.to,
                    carries: e.classes,
                    weight: 1.0,
                    calls_per_request: 1.0,
                    retry: None,
                    breaker: None,
                })
                .collect(),
            default_scenario: scenario.name.clone(),
            scenarios: vec![scenario],
            journey: None,
        }
    }
}

/// Only the version, to pick the reader.
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<u32>,
}

/// A problem found in a design file, placed on a line where possible.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Whether the problem stops the design from loading (an error) or is only a warning.
    pub severity: Severity,
    /// Line and column in the file the problem is about, when it can be placed.
    pub position: Option<TextPosition>,
    /// What is wrong, in a sentence that names the component, link or scenario.
    pub message: String,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(pos) = self.position {
            write!(f, "{pos}: ")?;
        }
        if self.severity == Severity::Warning {
            write!(f, "warning: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl Problem {
    /// The problem as one line about `file`: `FILE:LINE:COL: message`, or `FILE: message`
    /// where it has no position. (Messages never hold a line break: names cannot.)
    pub fn located(&self, file: &Path) -> String {
        let mut bare = self.clone();
        bare.position = None;
        located(file, self.position, &bare.to_string())
    }
}

/// `FILE:LINE:COL: message`, or `FILE: message` without a position: the one form every
/// message about a file takes, on one line.
pub fn located(file: &Path, position: Option<TextPosition>, message: &str) -> String {
    // Line breaks become spaces, other control characters their escapes: a message is one
    // line, and nothing in it can move the terminal's cursor or change its colours.
    let message: String = message
        .chars()
        .map(|c| match c {
            '\n' | '\r' => " ".to_string(),
            c if c.is_control() => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect();
    match position {
        Some(p) => format!("{}:{}:{}: {message}", file.display(), p.line, p.column),
        None => format!("{}: {message}", file.display()),
    }
}

/// Why a design could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read: missing, not allowed, not a regular file, or larger than
    /// `MAX_DESIGN_FILE_BYTES`.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file that was to be read.
        path: PathBuf,
        /// Why it could not be read.
        source: io::Error,
    },
    /// The text is not a design this build can read: not UTF-8, bad syntax, a newer format
    /// version, a link to no component, or an error from validation or the extra checks.
    #[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Every problem found, errors and warnings, each placed on a line where possible.
        problems: Vec<Problem>,
    },
}

impl LoadError {
    /// The problems, one per line, each with its position where known.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            LoadError::Io { source, .. } => vec![Problem {
                severity: Severity::Error,
                position: None,
                message: format!("cannot read: {source}"),
                hint: None,
            }],
            LoadError::Invalid { problems } => problems.clone(),
        }
    }

    /// Every problem as a line about `file` (see [`Problem::located`]).
    pub fn located(&self, file: &Path) -> String {
        self.problems()
            .iter()
            .map(|p| p.located(file))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A design read from text, with the warnings it raised.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The design, its link ends resolved and validated.
    pub design: Design,
    /// Warnings the design loaded in spite of, placed on lines where possible.
    pub warnings: Vec<Problem>,
    /// Where things are written in the file, for messages about it after loading.
    pub map: SourceMap,
}

/// Read a design from bytes: syntax, version and migration, link ends, then validation.
/// Any error-severity problem fails the load; warnings come back beside the design.
pub fn parse_design_bytes(bytes: &[u8], prices: &PriceTable) -> Result<Loaded, LoadError> {
    let text = std::str::from_utf8(bytes).map_err(|e| LoadError::Invalid {
        problems: vec![not_utf8(bytes, e.valid_up_to())],
    })?;
    parse_design(text, prices)
}

/// Read a design from RON text. See [`parse_design_bytes`]. A byte-order mark, which some
/// editors put at the start of UTF-8 files, is skipped.
pub fn parse_design(text: &str, prices: &PriceTable) -> Result<Loaded, LoadError> {
    parse_design_with(text, prices, &|_| Vec::new())
}

/// [`parse_design`], with `more` checks run on a design that validates (a layer above the
/// model adds what it knows, such as whether the simulation can run it); their issues are
/// placed and reported like validation's.
pub fn parse_design_with(
    text: &str,
    prices: &PriceTable,
    more: &dyn Fn(&Design) -> Vec<Issue>,
) -> Result<Loaded, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file = parse_file(text)?;
    let map = SourceMap::scan(text);
    let design = from_file(file).map_err(|issues| LoadError::Invalid {
        problems: place(&issues, text, &map),
    })?;
    let mut issues = validate(&design, prices);
    if !issues.iter().any(|i| i.severity == Severity::Error) {
        issues.extend(more(&design));
    }
    let mut problems = place(&issues, text, &map);
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(LoadError::Invalid { problems });
    }
    if let Some(offset) = first_comment(text) {
        problems.push(Problem {
            severity: Severity::Warning,
            position: Some(position_of_offset(text, offset)),
            message: "the file has comments, which are not kept when the design is saved".into(),
            hint: Some(
                "the app and `archsandbox fmt` write the design itself; keep notes in the \
                 design's description"
                    .into(),
            ),
        });
    }
    Ok(Loaded {
        design,
        warnings: problems,
        map,
    })
}

/// Read a design file from disk. Never modifies the file.
pub fn read_design(path: &Path, prices: &PriceTable) -> Result<Loaded, LoadError> {
    read_design_with(path, prices, &|_| Vec::new())
}

/// [`read_design`] with `more` checks (see [`parse_design_with`]).
pub fn read_design_with(
    path: &Path,
    prices: &PriceTable,
    more: &dyn Fn(&Design) -> Vec<Issue>,
) -> Result<Loaded, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = read_at_most(path, MAX_DESIGN_FILE_BYTES).map_err(io)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| LoadError::Invalid {
        problems: vec![not_utf8(&bytes, e.valid_up_to())],
    })?;
    parse_design_with(text, prices, more)
}

/// The problem of bytes that are not UTF-8 from `valid_up_to` on.
fn not_utf8(bytes: &[u8], valid_up_to: usize) -> Problem {
    Problem {
        severity: Severity::Error,
        position: Some(position_of_offset(
            &String::from_utf8_lossy(&bytes[..valid_up_to]),
            valid_up_to,
        )),
        message: "the file is not UTF-8 text".into(),
        hint: Some("design files are RON text; was a binary file opened?".into()),
    }
}

/// The largest design file read: a design of 100,000 components is some 60 MB of RON. (Reading
/// `/dev/zero` took memory until it ran out.)
pub const MAX_DESIGN_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A file's bytes, or an error if there are more than `limit`. Anything but a regular file
/// (a FIFO, a device, a directory) is refused before it is opened: reading a FIFO blocks
/// until something writes to it, and `/dev/zero` never ends.
pub fn read_at_most(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read as _;
    refuse_unless_regular(&fs::metadata(path)?)?;
    let file = fs::File::open(path)?;
    // What was opened, in case the path changed since it was looked at.
    refuse_unless_regular(&file.metadata()?)?;
    let mut bytes = Vec::new();
    (&file).take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the file is larger than {} MiB", limit / (1024 * 1024)),
        ));
    }
    Ok(bytes)
}

/// An error unless `metadata` is a regular file's, naming what it is instead.
fn refuse_unless_regular(metadata: &fs::Metadata) -> io::Result<()> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "a directory"
    } else {
        special_file_kind(&kind)
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {what}, not a regular file"),
    ))
}

#[cfg(unix)]
fn special_file_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_file_kind(_: &fs::FileType) -> &'static str {
    "a special file"
}

/// Parse the text into the current file structure, migrating older versions.
fn parse_file(text: &str) -> Result<DesignFile, LoadError> {
    let options = ron_options();
    let version = match options.from_str::<VersionProbe>(text) {
        Ok(probe) => probe.version,
        // Broken syntax: the full reader below gives the most precise message.
        Err(_) => Some(CURRENT_VERSION),
    };
    match version {
        None => Err(invalid(
            Some(TextPosition { line: 1, column: 1 }),
            "the design has no `version` field".into(),
            Some(format!(
                "add `version: {CURRENT_VERSION},` as the first field"
            )),
        )),
        Some(0) => {
            let old: DesignFileV0 = options.from_str(text).map_err(syntax_error)?;
            let mut file: DesignFile = old.into();
            migrate_key_skew(&mut file);
            Ok(file)
        }
        Some(1) => {
            let mut file: DesignFile = options.from_str(text).map_err(syntax_error)?;
            migrate_key_skew(&mut file);
            file.version = CURRENT_VERSION;
            Ok(file)
        }
        // Version 3 added the workloads and resilience fields (a client's `workload`, …), each
        // with a default that keeps a version 2 design's figures as they were; version 4 the
        // `journey`, none in an older file.
        Some(2) | Some(3) => {
            let mut file: DesignFile = options.from_str(text).map_err(syntax_error)?;
            file.version = CURRENT_VERSION;
            Ok(file)
        }
        Some(CURRENT_VERSION) => options.from_str(text).map_err(syntax_error),
        Some(newer) => Err(invalid(
            SourceMap::scan(text).key("version"),
            format!(
                "this design was written by a newer archsandbox (format version {newer}); this build reads versions up to {CURRENT_VERSION}"
            ),
            Some("update archsandbox to open it".into()),
        )),
    }
}

/// Versions 0 and 1 read a database's `key_skew` as a Zipf exponent over the shards' ranks,
/// under range partitioning only; version 2 reads it over the keys themselves, under either
/// (see `sharding`). So that an older file's figures stay as they were: under range
/// partitioning the exponent becomes the one whose first range takes the share the old
/// reading gave the first shard (1 / Σ_{i ≤ S} i^(−s)), over the file's keys; under hashing,
/// which ignored it, 0.
fn migrate_key_skew(file: &mut DesignFile) {
    use super::component::{ComponentKind, Partitioning};
    use super::sharding::shard_shares;
    for component in &mut file.components {
        let ComponentKind::Database(p) = &mut component.kind else {
            continue;
        };
        if p.shards <= 1 || p.key_skew.is_nan() || p.key_skew <= 0.0 || !p.key_skew.is_finite() {
            continue;
        }
        match p.partitioning {
            Partitioning::Hash => p.key_skew = 0.0,
            Partitioning::Range => {
                let old: f64 = (1..=p.shards).map(|i| f64::from(i).powf(-p.key_skew)).sum();
                let wanted = 1.0 / old;
                let first = |s: f64| shard_shares(p.keys, p.shards, Partitioning::Range, s)[0];
                // The first range's share grows with the exponent: bisect for it.
                let (mut lo, mut hi) = (0.0f64, super::validate::MAX_KEY_SKEW);
                if first(hi) <= wanted {
                    p.key_skew = hi;
                    continue;
                }
                for _ in 0..60 {
                    let mid = 0.5 * (lo + hi);
                    if first(mid) < wanted {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                // Rounded to a few digits, so that the migrated file reads well.
                p.key_skew = (0.5 * (lo + hi) * 1e4).round() / 1e4;
            }
        }
    }
}

fn invalid(position: Option<TextPosition>, message: String, hint: Option<String>) -> LoadError {
    LoadError::Invalid {
        problems: vec![Problem {
            severity: Severity::Error,
            position,
            message,
            hint,
        }],
    }
}

/// Turn a ron error into a problem with a hint a person can act on.
fn syntax_error(e: ron::error::SpannedError) -> LoadError {
    use ron::error::Error as E;
    let hint = match &e.code {
        E::ExpectedComma => {
            Some("a comma may be missing at the end of the previous line".to_string())
        }
        E::Eof => Some("the file ends early: a bracket or parenthesis may be unclosed".to_string()),
        E::ExpectedStructLikeEnd | E::ExpectedArrayEnd => {
            Some("a closing bracket is missing or misplaced".to_string())
        }
        E::NoSuchStructField { expected, .. } => {
            Some(format!("fields allowed here: {}", expected.join(", ")))
        }
        E::NoSuchEnumVariant { expected, .. } => {
            Some(format!("choose one of: {}", expected.join(", ")))
        }
        E::MissingStructField { field, .. } => Some(format!("add `{field}: …`")),
        E::DuplicateStructField { field, .. } => Some(format!("remove one of the `{field}` lines")),
        E::ExpectedFloat => Some("write decimal numbers with a point, e.g. `10.0`".to_string()),
        E::ExpectedInteger | E::IntegerOutOfBounds => {
            Some("this field takes a whole, non-negative number".to_string())
        }
        E::ExpectedString | E::ExpectedStringEnd => {
            Some("names and sizes are written in double quotes".to_string())
        }
        E::TrailingCharacters => Some("there is text after the end of the design".to_string()),
        E::UnclosedBlockComment => Some("a /* comment is not closed with */".to_string()),
        _ => None,
    };
    invalid(
        Some(TextPosition {
            line: e.span.start.line,
            column: e.span.start.col,
        }),
        e.code.to_string(),
        hint,
    )
}

/// Place validation issues on lines of the text.
fn place(issues: &[Issue], text: &str, map: &SourceMap) -> Vec<Problem> {
    issues
        .iter()
        .map(|issue| {
            let (keys, index): (&[&str], usize) = match &issue.subject {
                Subject::Component { index, .. } => (&["components", "nodes"], *index),
                Subject::Link { index, .. } => (&["links", "edges"], *index),
                Subject::Scenario { index, .. } => (&["scenarios"], *index),
                Subject::Design => (&[], 0),
            };
            let position = match (&issue.subject, issue.field) {
                (Subject::Design, Some(field)) => map.key(field),
                (Subject::Design, None) => None,
                (_, Some(field)) => map.field(text, keys, index, field),
                (_, None) => map.element(keys, index),
            }
            .or_else(|| match &issue.subject {
                Subject::Scenario { .. } => map.key("scenario"),
                _ => None,
            });
            Problem {
                severity: issue.severity,
                position,
                message: issue.message.clone(),
                hint: issue.hint.clone(),
            }
        })
        .collect()
}

/// Build the graph from a file: component names become ids. A link whose end names no
/// component is an error that names the link.
pub fn from_file(file: DesignFile) -> Result<Design, Vec<Issue>> {
    let mut design = Design {
        name: file.name,
        description: file.description,
        graph: Default::default(),
        scenarios: file.scenarios,
        default_scenario: file.default_scenario,
        journey: file.journey,
    };
    let mut ids = std::collections::HashMap::new();
    for component in file.components {
        let name = component.name.clone();
        let id = design.add(component);
        // Duplicate names are reported by validation; the first one wins for links.
        ids.entry(name).or_insert(id);
    }
    let mut issues = Vec::new();
    for (index, record) in file.links.into_iter().enumerate() {
        let subject = Subject::Link {
            index,
            from: record.from.clone(),
            to: record.to.clone(),
        };
        match (ids.get(&record.from), ids.get(&record.to)) {
            (Some(&from), Some(&to)) => {
                let mut link = Link::new(&record.carries);
                link.weight = record.weight;
                link.calls_per_request = record.calls_per_request;
                link.retry = record.retry;
                link.breaker = record.breaker;
                design.connect(from, to, link);
            }
            (from, to) => {
                let missing = if from.is_none() {
                    &record.from
                } else {
                    &record.to
                };
                let field = if from.is_none() { "from" } else { "to" };
                let _ = to;
                issues.push(Issue::error(
                    subject,
                    Some(field),
                    format!(
                        "link from '{}' to '{}' points to nowhere: there is no component named '{missing}'",
                        record.from, record.to
                    ),
                    Some("check the spelling, or add the component".into()),
                ));
            }
        }
    }
    if issues.is_empty() {
        Ok(design)
    } else {
        Err(issues)
    }
}

/// The file structure of a design: components and links in id order.
pub fn to_file(design: &Design) -> DesignFile {
    DesignFile {
        version: CURRENT_VERSION,
        name: design.name.clone(),
        description: design.description.clone(),
        components: design.components().map(|(_, c)| c.clone()).collect(),
        links: design
            .links()
            .filter_map(|(_, from, to, link)| {
                Some(LinkRecord {
                    from: design.component(from)?.name.clone(),
                    to: design.component(to)?.name.clone(),
                    carries: link.carries.clone(),
                    weight: link.weight,
                    calls_per_request: link.calls_per_request,
                    retry: link.retry,
                    breaker: link.breaker,
                })
            })
            .collect(),
        scenarios: design.scenarios.clone(),
        default_scenario: design.default_scenario.clone(),
        journey: design.journey.clone(),
    }
}

/// The canonical text of a design: the same design always gives the same bytes.
pub fn to_ron(design: &Design) -> String {
    let config = ron::ser::PrettyConfig::new()
        .indentor("    ")
        .new_line("\n")
        .separate_tuple_members(false)
        .enumerate_arrays(false);
    let body = ron_options()
        .to_string_pretty(&to_file(design), config)
        // Serializing plain data structs into a String cannot fail.
        .unwrap_or_else(|e| panic!("serializing a design failed: {e}"));
    format!("{HEADER}{body}\n")
}

/// Save a design atomically: write a temporary file beside the target, flush it to disk, then
/// rename it over the target. A failed save leaves the old file as it was.
pub fn save_design(path: &Path, design: &Design) -> io::Result<()> {
    let text = to_ron(design);
    write_atomically(path, |file| file.write_all(text.as_bytes()))
}

/// Write a file atomically with the given writer; see [`save_design`]. If `write` fails, the
/// temporary file is removed and the target is untouched.
///
/// A symbolic link is written through: the file it points to is replaced and the link stays. A
/// file that exists must be a regular file this process may write (the kernel is asked, by
/// opening it for writing, so that a root-owned 0644 file is refused to other users even in
/// a directory they may write); it keeps its permissions.
///
/// The temporary file beside the target has an unpredictable name and is created exclusively
/// (`O_CREAT | O_EXCL`, which also refuses a symbolic link planted at its name), with the
/// target's mode from the start. Temporary files of earlier runs that were killed before
/// they could clean up are removed when provably ours: the same target, our name pattern,
/// owned by this user, and made by a process that is no longer running.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut fs::File) -> io::Result<()>,
) -> io::Result<()> {
    // Follow symbolic links to the file they name, existing or not (a bounded chain: a loop
    // of links is an error).
    let mut resolved = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&resolved) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&resolved)?;
                resolved = match resolved.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => break,
        }
    }
    let path = resolved.as_path();
    let existing = match fs::metadata(path) {
        Ok(metadata) => Some(metadata),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if let Some(metadata) = &existing {
        refuse_unless_regular(metadata)?;
        if metadata.permissions().readonly() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "the file is read-only; make it writable to save over it",
            ));
        }
        // Opening for writing (without truncating) changes nothing and asks the kernel the
        // real question: ownership, ACLs and read-only mounts included.
        if let Err(e) = fs::OpenOptions::new().write(true).open(path) {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot write the file ({e}); nothing was changed"),
            ));
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?
        .to_string_lossy()
        .into_owned();
    remove_stale_temporaries(&dir, &file_name);
    let (temp, mut file) = create_temporary(&dir, &file_name, existing.as_ref())?;
    let result = (|| {
        write(&mut file)?;
        file.flush()?;
        if let Some(metadata) = &existing {
            file.set_permissions(metadata.permissions())?;
        }
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // Make the rename itself durable where the platform allows it.
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    drop(file);
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// The ending of our temporary files' names: `.NAME.PID-RANDOM.archsandbox-tmp`.
const TEMPORARY_SUFFIX: &str = ".archsandbox-tmp";

/// Create a new temporary file for `file_name` in `dir`, exclusively, under a name no other
/// process can guess; with `existing`'s mode where the platform has modes.
fn create_temporary(
    dir: &Path,
    file_name: &str,
    existing: Option<&fs::Metadata>,
) -> io::Result<(PathBuf, fs::File)> {
    let mut last_error = None;
    for _ in 0..16 {
        let token: u64 = rand::random();
        let temp = dir.join(format!(
            ".{file_name}.{}-{token:016x}{TEMPORARY_SUFFIX}",
            std::process::id()
        ));
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            let mode = existing.map_or(0o666, |m| m.permissions().mode() & 0o7777);
            options.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = existing;
        match options.open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no free temporary file name")))
}

/// Remove temporary files for `file_name` in `dir` left by runs of ours that were killed:
/// our name pattern, a regular file owned by this user, and a process id that no longer
/// runs. Anything else is left alone. (Linux only, where `/proc` says which processes run.)
fn remove_stale_temporaries(dir: &Path, file_name: &str) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt as _;
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let Ok(own) = fs::metadata("/proc/self") else {
            return;
        };
        let prefix = format!(".{file_name}.");
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            let Some(middle) = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(TEMPORARY_SUFFIX))
            else {
                continue;
            };
            let Some((pid, token)) = middle.split_once('-') else {
                continue;
            };
            if token.len() != 16
                || !token.bytes().all(|b| b.is_ascii_hexdigit())
                || pid.parse::<u32>().is_err()
            {
                continue;
            }
            let Ok(metadata) = fs::symlink_metadata(entry.path()) else {
                continue;
            };
            let running = Path::new("/proc").join(pid).exists();
            if metadata.file_type().is_file() && metadata.uid() == own.uid() && !running {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (dir, file_name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_version_is_refused_with_a_hint() {
        let err =
            parse_design("(name: \"x\", components: [])", &PriceTable::builtin()).unwrap_err();
        let problems = err.problems();
        assert!(problems[0].message.contains("version"));
        assert!(problems[0].hint.is_some());
    }
}
