//! `archsandbox import docker-compose.yml` (issue 18): each image maps to its kind, replicas
//! to instances, `depends_on` and `links` to links; the two shipped examples import into
//! designs that check and run; bad YAML is refused with `FILE:LINE:COL`.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use archsandbox::import::from_compose;
use archsandbox::model::{ComponentKind, Design, KindName};

fn archsandbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_archsandbox"))
        .args(args)
        .output()
        .expect("runs")
}

fn kind(design: &Design, name: &str) -> KindName {
    design
        .find(name)
        .and_then(|id| design.component(id))
        .unwrap_or_else(|| panic!("no component {name}"))
        .kind
        .name()
}

fn links(design: &Design) -> BTreeSet<(String, String)> {
    let name = |id| {
        design
            .component(id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    design
        .links()
        .map(|(_, from, to, _)| (name(from), name(to)))
        .collect()
}

fn assert_kinds(design: &Design, expected: &[(&str, KindName)]) {
    for (name, k) in expected {
        assert_eq!(kind(design, name), *k, "{name}");
    }
}

/// The shipped example `assets/examples/NAME-compose.yml`, imported.
fn example(name: &str) -> archsandbox::import::Imported {
    let path = crate::root().join(format!("assets/examples/{name}-compose.yml"));
    let text = std::fs::read_to_string(path).expect("the example");
    from_compose(&text, name).expect("imports")
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn each_image_maps_to_its_kind_and_replicas_to_instances() {
    let cases = [
        ("nginx:1.25", KindName::LoadBalancer),
        ("haproxy", KindName::LoadBalancer),
        ("traefik:v3", KindName::LoadBalancer),
        ("envoyproxy/envoy:v1.30", KindName::LoadBalancer),
        ("postgres:16", KindName::Database),
        ("mysql:8", KindName::Database),
        ("mariadb", KindName::Database),
        ("mongo:7", KindName::Database),
        ("redis:7-alpine", KindName::Cache),
        ("memcached", KindName::Cache),
        ("rabbitmq:3", KindName::MessageQueue),
        ("bitnami/kafka", KindName::MessageQueue),
        ("nats:2", KindName::MessageQueue),
        ("example/anything-else:1", KindName::Server),
    ];
    for (image, expected) in cases {
        let text = format!(
            "services:\n  front:\n    image: example/front\n    ports: [\"80:80\"]\n    depends_on: [it]\n  it:\n    image: {image}\n"
        );
        let imported = from_compose(&text, "t").unwrap_or_else(|e| panic!("{image}: {e:?}"));
        assert_eq!(kind(&imported.design, "it"), expected, "{image}");
        assert!(
            imported
                .notes
                .iter()
                .any(|n| n.starts_with(&format!("it: image {image} → "))),
            "{image}: says what it guessed: {:?}",
            imported.notes
        );
    }
    // deploy.replicas → instances; a service that is only built → server.
    let text = "services:\n  api:\n    build: .\n    deploy:\n      replicas: 4\n";
    let imported = from_compose(text, "t").expect("imports");
    let api = imported
        .design
        .find("api")
        .and_then(|id| imported.design.component(id))
        .expect("api");
    assert!(matches!(&api.kind, ComponentKind::Server(p) if p.instances == 4));
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.contains("no image (built from source) → server"))
    );
}

#[test]
fn the_shop_example_imports_every_service_and_its_dependencies() {
    let imported = example("shop");
    let d = &imported.design;
    assert_kinds(
        d,
        &[
            ("proxy", KindName::LoadBalancer),
            ("api", KindName::Server),
            ("cache", KindName::Cache),
            ("db", KindName::Database),
            ("orders", KindName::MessageQueue),
            ("mailer", KindName::Server),
            ("users", KindName::Client),
        ],
    );
    // The users reach the service that publishes ports; the api reads through its cache;
    // the worker consumes the queue it depends on.
    let expected: BTreeSet<_> = [
        pair("users", "proxy"),
        pair("proxy", "api"),
        pair("api", "cache"),
        pair("cache", "db"),
        pair("api", "orders"),
        pair("orders", "mailer"),
        pair("mailer", "db"),
    ]
    .into_iter()
    .collect();
    assert_eq!(links(d), expected);
}

#[test]
fn the_blog_example_says_what_it_left_out() {
    let imported = example("blog");
    let d = &imported.design;
    assert_kinds(
        d,
        &[
            ("lb", KindName::LoadBalancer),
            ("memcached", KindName::Cache),
            ("mariadb", KindName::Database),
            ("search", KindName::Server),
        ],
    );
    // `links:` of the old style make links too.
    assert!(links(d).contains(&pair("lb", "app")));
    // A database calls nothing: its depends_on is left out, and said.
    assert!(!links(d).contains(&pair("mariadb", "backup")));
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.starts_with("mariadb → backup: left out")),
        "{:?}",
        imported.notes
    );
    assert!(imported.notes.iter().any(|n| n.starts_with(
        "search: image docker.elastic.co/elasticsearch/elasticsearch:8.13.0 → server (not"
    )));
}

#[test]
fn both_examples_import_into_designs_that_check_and_run_through_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    for example in ["shop", "blog"] {
        let compose = crate::root().join(format!("assets/examples/{example}-compose.yml"));
        let out = dir.path().join(format!("{example}.ron"));
        let (compose, out) = (compose.to_string_lossy(), out.to_string_lossy());
        let run = archsandbox(&["import", &compose, "-o", &out]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let printed = String::from_utf8_lossy(&run.stdout);
        assert!(printed.contains("→"), "says what it guessed: {printed}");
        assert!(printed.ends_with(&format!("wrote {out}\n")));
        assert_eq!(archsandbox(&["check", &out]).status.code(), Some(0));
        let report = archsandbox(&["simulate", &out, "--format", "json"]);
        assert!(report.status.success());
        let report: serde_json::Value = serde_json::from_slice(&report.stdout).expect("JSON");
        let success = report["system"]["success_ratio"].as_f64().expect("success");
        assert!(
            success >= 0.999,
            "{example}: the defaults carry the users: {success}"
        );
    }
}

#[test]
fn bad_yaml_is_refused_with_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("docker-compose.yml");
    // Line 4's `ports:` sits inside a scalar's indentation: its colon (column 12) is wrong.
    std::fs::write(
        &bad,
        "services:\n  web:\n    image: nginx\n      ports: 80\n",
    )
    .expect("writes");
    let out = dir.path().join("x.ron");
    let run = archsandbox(&[
        "import",
        &bad.to_string_lossy(),
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.starts_with(&format!("{}:4:12: not YAML:", bad.display())),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing written");
    // Not a compose file: said without a position.
    std::fs::write(&bad, "version: '3'\n").expect("writes");
    let run = archsandbox(&[
        "import",
        &bad.to_string_lossy(),
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("no 'services' mapping"));
}
