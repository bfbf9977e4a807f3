//! Assertions on a run's figures, for a CI gate: `p99_ms < 200`, `success >= 0.999`,
//! `kitchen.utilization < 0.8`. Each is a figure, a comparison and a number; the figure is
//! the system's by name or a component's as `NAME.FIGURE` (a name with dots or spaces may be
//! quoted: `'order rail'.backlog < 100`). A number may end in `%` (`success >= 99.9%`).
//!
//! A figure is any number of the JSON report's `system` section or of a component's (its
//! field names: `availability`, `cost_per_month`, `throughput_per_s`, `utilization`, …), and
//! for latency the short names `mean_ms`, `p50_ms`, `p95_ms` and `p99_ms`, and `success` for
//! the success ratio. `archsandbox simulate FILE --assert EXPR` checks them on the run it
//! reports; a scenario's `assertions` are checked on every run of it from the command line.

use serde::Serialize;
use serde_json::Value;

/// How a figure compares with its bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// `<`
    Less,
    /// `<=`
    AtMost,
    /// `>`
    Greater,
    /// `>=`
    AtLeast,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Comparison {
    /// The operators, longest first (so that `<=` is not read as `<`).
    const ALL: [(&'static str, Comparison); 6] = [
        ("<=", Comparison::AtMost),
        (">=", Comparison::AtLeast),
        ("==", Comparison::Equal),
        ("!=", Comparison::NotEqual),
        ("<", Comparison::Less),
        (">", Comparison::Greater),
    ];

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("?", |(s, _)| s)
    }

    fn holds(self, measured: f64, bound: f64) -> bool {
        match self {
            Comparison::Less => measured < bound,
            Comparison::AtMost => measured <= bound,
            Comparison::Greater => measured > bound,
            Comparison::AtLeast => measured >= bound,
            Comparison::Equal => measured == bound,
            Comparison::NotEqual => measured != bound,
        }
    }
}

/// One parsed assertion.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// As written (trimmed).
    pub text: String,
    /// The component whose figure it is, or `None` for the system's.
    pub component: Option<String>,
    /// The figure's name as written (before aliases).
    pub figure: String,
    /// Where the figure's name starts in `text`, 1-based (for errors about it).
    pub figure_column: usize,
    /// The comparison.
    pub comparison: Comparison,
    /// The bound (a percentage already divided by 100).
    pub bound: f64,
}

/// Why an assertion could not be read or looked up, and where in it (1-based column).
#[derive(Clone, Debug, PartialEq)]
pub struct AssertionError {
    /// 1-based character column in the assertion's text.
    pub column: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl std::fmt::Display for AssertionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

/// The result of checking one assertion on a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssertionResult {
    /// The assertion as written.
    pub assertion: String,
    /// The figure measured on the run (`None` when the run has no value for it, such as the
    /// cost per million requests of a run that served none: the assertion then fails).
    pub measured: Option<f64>,
    /// The bound it was held to.
    pub bound: f64,
    /// Whether it holds.
    pub holds: bool,
}

impl AssertionResult {
    /// `PASS p99_ms < 200 (measured 46.7)`, or `FAIL …`.
    pub fn line(&self) -> String {
        let measured = self.measured.map_or_else(
            || "no value".to_string(),
            |m| format!("measured {}", short(m)),
        );
        format!(
            "{} {} ({measured}, bound {})",
            if self.holds { "PASS" } else { "FAIL" },
            self.assertion,
            short(self.bound)
        )
    }
}

/// A number with up to six significant digits, without trailing zeros.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    // Very small or very large: in powers of ten, so that a tiny bound never reads 0.
    if x.abs() < 1e-4 || x.abs() >= 1e15 {
        return format!("{x:e}");
    }
    let digits = (6 - (x.abs().log10().floor() as i32 + 1)).clamp(0, 12) as usize;
    let text = format!("{x:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// The short names, and the path into the report's JSON object they stand for.
const ALIASES: [(&str, &[&str]); 6] = [
    ("mean_ms", &["latency_ms", "mean"]),
    ("p50_ms", &["latency_ms", "p50"]),
    ("p95_ms", &["latency_ms", "p95"]),
    ("p99_ms", &["latency_ms", "p99"]),
    ("success", &["success_ratio"]),
    ("throughput", &["throughput_per_s"]),
];

/// Read one assertion.
pub fn parse(text: &str) -> Result<Assertion, AssertionError> {
    // Columns count characters of the text as given, leading spaces included.
    let lead = text.len() - text.trim_start().len();
    let lead = text[..lead].chars().count();
    let text = text.trim();
    let column_of = |byte: usize| text[..byte].chars().count() + 1 + lead;
    if text.is_empty() {
        return Err(AssertionError {
            column: 1,
            message: "an empty assertion: write a figure, a comparison and a number, such as \
                      'p99_ms < 200'"
                .into(),
        });
    }
    // The operator: the first one outside quotes.
    let mut quote: Option<char> = None;
    let mut found = None;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {
                if let Some((symbol, comparison)) = Comparison::ALL
                    .iter()
                    .find(|(symbol, _)| text[i..].starts_with(symbol))
                {
                    found = Some((i, *symbol, *comparison));
                    break;
                }
                if c == '=' {
                    return Err(AssertionError {
                        column: column_of(i),
                        message: "'=' alone is not a comparison: write '==' (or <, <=, >, >=, !=)"
                            .into(),
                    });
                }
            }
        }
    }
    if let Some(q) = quote {
        return Err(AssertionError {
            column: column_of(text.rfind(q).unwrap_or(0)),
            message: format!("a quote ({q}) that is never closed"),
        });
    }
    let Some((at, symbol, comparison)) = found else {
        return Err(AssertionError {
            column: column_of(text.len()),
            message: "no comparison: write one of <, <=, >, >=, ==, != between the figure and \
                      the number"
                .into(),
        });
    };
    // The bound.
    let after = at + symbol.len();
    let right = &text[after..];
    let number_at = after + (right.len() - right.trim_start().len());
    let number = right.trim();
    if number.is_empty() {
        return Err(AssertionError {
            column: column_of(text.len()) + 1,
            message: format!("no number after '{symbol}'"),
        });
    }
    let (digits, scale) = match number.strip_suffix('%') {
        Some(d) => (d.trim_end(), 0.01),
        None => (number, 1.0),
    };
    let bound = digits
        .replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|b| b.is_finite())
        .ok_or_else(|| AssertionError {
            column: column_of(number_at),
            message: format!("'{number}' is not a number (write it as 200, 0.999, 99.9% or 1e6)"),
        })?
        * scale;
    // The figure: NAME or COMPONENT.NAME, the component's name optionally quoted.
    let left = &text[..at];
    let figure_text = left.trim_end();
    if figure_text.is_empty() {
        return Err(AssertionError {
            column: column_of(0),
            message: format!("no figure before '{symbol}' (such as p99_ms or kitchen.utilization)"),
        });
    }
    let (component, figure, figure_at) = match figure_text.rfind('.') {
        Some(dot) if !figure_text[dot + 1..].trim().is_empty() => {
            let name = figure_text[..dot].trim();
            let unquoted = name
                .strip_prefix('\'')
                .and_then(|n| n.strip_suffix('\''))
                .or_else(|| name.strip_prefix('"').and_then(|n| n.strip_suffix('"')))
                .unwrap_or(name);
            if unquoted.is_empty() {
                return Err(AssertionError {
                    column: column_of(0),
                    message: "no component name before '.'".into(),
                });
            }
            let field = &figure_text[dot + 1..];
            (
                Some(unquoted.to_string()),
                field.trim().to_string(),
                dot + 1 + (field.len() - field.trim_start().len()),
            )
        }
        _ => (None, figure_text.to_string(), 0),
    };
    if !figure
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(AssertionError {
            column: column_of(figure_at),
            message: format!(
                "'{figure}' is not a figure's name (letters, digits and _; quote a component's \
                 name that has spaces: 'order rail'.backlog)"
            ),
        });
    }
    Ok(Assertion {
        text: text.to_string(),
        component,
        figure,
        figure_column: column_of(figure_at),
        comparison,
        bound,
    })
}

/// `text` with its component `old` named `new` (quoted when the name is not a plain word),
/// or `None` when it is not about `old` (or cannot be read).
pub fn with_component_renamed(text: &str, old: &str, new: &str) -> Option<String> {
    let a = parse(text).ok()?;
    if a.component.as_deref() != Some(old) {
        return None;
    }
    let plain = !new.is_empty()
        && new
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    let name = if plain {
        new.to_string()
    } else if !new.contains('\'') {
        format!("'{new}'")
    } else {
        format!("\"{new}\"")
    };
    // The figure and what follows, as written.
    let rest: String = text.chars().skip(a.figure_column - 1).collect();
    Some(format!("{name}.{rest}"))
}

/// The number `figure` names in a report's JSON object (a short name's path, or a field).
fn figure_in<'a>(object: &'a Value, figure: &str) -> Option<&'a Value> {
    let path: Vec<&str> = ALIASES
        .iter()
        .find(|(alias, _)| *alias == figure)
        .map_or_else(|| vec![figure], |(_, path)| path.to_vec());
    path.iter().try_fold(object, |v, key| v.get(key))
}

/// The figures of a report's JSON object that an assertion can name: its numbers (and the
/// short names where the paths exist), sorted.
fn figures_of(object: &Value) -> Vec<String> {
    let mut names: Vec<String> = object
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| v.is_number() || v.is_null())
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    for (alias, _) in ALIASES {
        if figure_in(object, alias).is_some() {
            names.push(alias.to_string());
        }
    }
    names.sort();
    names
}

/// Check `assertion` on a run's JSON report (`archsandbox simulate --format json`'s).
/// An unknown component or figure is an error about the assertion, at its column.
pub fn check(assertion: &Assertion, report: &Value) -> Result<AssertionResult, AssertionError> {
    let object = match &assertion.component {
        None => &report["system"],
        Some(name) => report["components"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"].as_str() == Some(name)))
            .ok_or_else(|| {
                let names: Vec<&str> = report["components"]
                    .as_array()
                    .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
                    .unwrap_or_default();
                AssertionError {
                    column: 1,
                    message: format!(
                        "no component named '{name}' (components: {})",
                        names.join(", ")
                    ),
                }
            })?,
    };
    let value = figure_in(object, &assertion.figure)
        .filter(|v| v.is_number() || v.is_null())
        .ok_or_else(|| AssertionError {
            column: assertion.figure_column,
            message: format!(
                "no figure named '{}' for {} (figures: {})",
                assertion.figure,
                assertion
                    .component
                    .as_ref()
                    .map_or_else(|| "the system".to_string(), |c| format!("'{c}'")),
                figures_of(object).join(", ")
            ),
        })?;
    let measured = value.as_f64();
    Ok(AssertionResult {
        assertion: assertion.text.clone(),
        measured,
        bound: assertion.bound,
        holds: measured.is_some_and(|m| assertion.comparison.holds(m, assertion.bound)),
    })
}

/// Parse and check every one of `texts` on `report`: the results, or the first error with
/// the assertion it is in.
pub fn check_all(
    texts: &[String],
    report: &Value,
) -> Result<Vec<AssertionResult>, (String, AssertionError)> {
    texts
        .iter()
        .map(|text| {
            parse(text)
                .and_then(|a| check(&a, report))
                .map_err(|e| (text.clone(), e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Value {
        serde_json::json!({
            "system": {
                "success_ratio": 0.9995,
                "availability": 0.99991,
                "cost_per_month": 7200.0,
                "cost_per_million_requests": null,
                "latency_ms": {"mean": 20.0, "p50": 12.0, "p95": 80.0, "p99": 150.0},
            },
            "components": [
                {"name": "kitchen", "utilization": 0.85, "latency_ms": {"p99": 90.0}},
                {"name": "order rail", "backlog": 12.0},
            ],
        })
    }

    fn holds(text: &str) -> bool {
        let a = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        check(&a, &report())
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .holds
    }

    #[test]
    fn each_comparison_holds_or_not_on_the_figure_it_names() {
        assert!(holds("p99_ms < 200"));
        assert!(!holds("p99_ms < 150"));
        assert!(holds("p99_ms <= 150"));
        assert!(holds("success >= 0.999"));
        assert!(holds("success >= 99.9%"));
        assert!(!holds("success >= 99.99 %"));
        assert!(holds("availability >= 0.9995"));
        assert!(holds("cost_per_month <= 8_000"));
        assert!(!holds("cost_per_month > 8e3"));
        assert!(holds("kitchen.utilization < 0.9"));
        assert!(!holds("kitchen.utilization < 0.8"));
        assert!(holds("kitchen.p99_ms == 90"));
        assert!(holds("kitchen.p99_ms != 91"));
        assert!(holds("'order rail'.backlog < 100"));
        assert!(holds("\"order rail\".backlog > 10"));
        // A figure with no value (null) fails whatever the bound.
        assert!(!holds("cost_per_million_requests < 1e9"));
    }

    #[test]
    fn a_bad_assertion_says_where_and_why() {
        let at = |text: &str| parse(text).expect_err(text);
        assert_eq!(at("p99_ms 200").column, 11);
        assert!(at("p99_ms 200").message.contains("no comparison"));
        assert_eq!(at("p99_ms = 200").column, 8);
        assert_eq!(at("p99_ms < 2x0").column, 10);
        assert!(at("p99_ms < ").message.contains("no number"));
        assert_eq!(at(" < 3").column, 2);
        assert_eq!(at("'order rail.backlog < 3").column, 1);
        assert_eq!(at("kitchen.util-ization < 3").column, 9);
        // Unknown names are found against the run's report, at the figure's column.
        let unknown = parse("kitchen.utilisation < 0.8").expect("parses");
        let e = check(&unknown, &report()).expect_err("no such figure");
        assert_eq!(e.column, 9);
        assert!(e.message.contains("utilization"), "{}", e.message);
        let nobody = parse("pantry.utilization < 0.8").expect("parses");
        assert!(
            check(&nobody, &report())
                .expect_err("no such component")
                .message
                .contains("kitchen, order rail")
        );
    }

    proptest::proptest! {
        /// Whatever the text, it is read or refused with a column within it (or just past
        /// its end, where something is missing); nothing panics.
        #[test]
        fn any_text_is_read_or_refused_at_a_column_within_it(text in "\\PC{0,40}") {
            if let Err(e) = parse(&text) {
                let len = text.chars().count();
                proptest::prop_assert!(e.column >= 1 && e.column <= len + 2, "{e} in {text:?}");
            }
        }

        /// A written assertion reads back as written.
        #[test]
        fn a_written_assertion_reads_back(
            figure in "[a-z_][a-z0-9_]{0,12}",
            component in proptest::option::of("[a-z][a-z .]{0,10}[a-z]"),
            op in 0..6usize,
            bound in -1e9f64..1e9,
        ) {
            let (symbol, comparison) = Comparison::ALL[op];
            let left = match &component {
                Some(name) => format!("'{name}'.{figure}"),
                None => figure.clone(),
            };
            let text = format!("{left} {symbol} {bound}");
            let a = parse(&text).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{text}: {e}")))?;
            proptest::prop_assert_eq!(a.component, component);
            proptest::prop_assert_eq!(a.figure, figure);
            proptest::prop_assert_eq!(a.comparison, comparison);
            proptest::prop_assert_eq!(a.bound, bound);
        }
    }

    #[test]
    fn renaming_a_component_rewrites_the_assertions_about_it() {
        let renamed = |text: &str, new: &str| with_component_renamed(text, "kitchen", new);
        assert_eq!(
            renamed("kitchen.utilization < 0.8", "grill").as_deref(),
            Some("grill.utilization < 0.8")
        );
        assert_eq!(
            renamed("  'kitchen'.p99_ms<200", "the grill").as_deref(),
            Some("'the grill'.p99_ms<200")
        );
        assert_eq!(
            renamed("kitchen.backlog < 3", "bob's.grill").as_deref(),
            Some("\"bob's.grill\".backlog < 3")
        );
        assert_eq!(renamed("pantry.utilization < 0.8", "grill"), None);
        assert_eq!(renamed("p99_ms < 200", "grill"), None);
        // What it writes reads back naming the new component.
        for new in ["grill", "the grill", "bob's.grill", "a \"b\""] {
            if let Some(text) = renamed("kitchen.utilization < 0.8", new) {
                assert_eq!(parse(&text).expect("reads").component.as_deref(), Some(new));
            }
        }
    }

    #[test]
    fn a_result_reads_as_one_line() {
        let a = parse("p99_ms < 200").expect("parses");
        let r = check(&a, &report()).expect("checks");
        assert_eq!(r.line(), "PASS p99_ms < 200 (measured 150, bound 200)");
        let a = parse("success >= 99.99%").expect("parses");
        let r = check(&a, &report()).expect("checks");
        assert_eq!(
            r.line(),
            "FAIL success >= 99.99% (measured 0.9995, bound 0.9999)"
        );
    }
}
