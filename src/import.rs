//! Designs from what teams already run: a `docker-compose.yml`'s services become components
//! by what they run, and their `depends_on` and `links` become links.
//!
//! - **Kinds by image** (the image's last path part, before its tag): nginx, haproxy, traefik
//!   and envoy → load balancer; postgres, mysql, mariadb and mongo → database; redis and
//!   memcached → cache; rabbitmq, kafka and nats → message queue; anything else, or a service
//!   that is only built, → server. `deploy.replicas` sets a server's, balancer's or cache's
//!   instances.
//! - **Links**: a service that `depends_on` or `links` another calls it, carrying what that
//!   kind takes (reads and writes; a queue, async jobs). A database answers and calls
//!   nothing: its own dependencies are left out, and said so.
//! - **Users**: compose has none, so a client "users" sends to the services that publish
//!   `ports` (else to those nothing depends on).
//! - **Layout**: columns by depth from the users, as a reader would draw it.
//!
//! Every guess and everything left out is reported in words; the parameters of each
//! component are the kinds' defaults, to be tuned in the app. Bad YAML is refused with its
//! line and column. Kubernetes manifests are not read (yet).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use yaml_rust2::{Yaml, YamlLoader};

use crate::model::{
    CacheParams, ClientParams, Component, ComponentKind, DatabaseParams, Design, KindName,
    LoadBalancerParams, QueueParams, Scenario, ServerParams, TextPosition, TrafficClass,
};

/// A design read from a compose file, and what the import guessed or left out.
#[derive(Debug)]
pub struct Imported {
    /// The design.
    pub design: Design,
    /// One line per guess ("web: image nginx:1.25 → load balancer") and per thing left out.
    pub notes: Vec<String>,
}

/// Why a compose file could not be read: a message, at a place in the text when known.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    /// Where (1-based line and column), when the YAML reader says.
    pub position: Option<TextPosition>,
    /// What is wrong.
    pub message: String,
}

/// What an image runs, by its name: the kind, in words.
fn kind_of_image(image: &str) -> Option<(&'static str, ComponentKind)> {
    // `registry.example.com:5000/team/postgres:16-alpine@sha256:…` → `postgres`.
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let name = last.split(':').next().unwrap_or(last).to_ascii_lowercase();
    Some(match name.as_str() {
        "nginx" | "haproxy" | "traefik" | "envoy" => (
            "load balancer",
            ComponentKind::LoadBalancer(LoadBalancerParams::default()),
        ),
        "postgres" | "mysql" | "mariadb" | "mongo" => (
            "database",
            ComponentKind::Database(DatabaseParams::default()),
        ),
        "redis" | "memcached" => ("cache", ComponentKind::Cache(CacheParams::default())),
        "rabbitmq" | "kafka" | "nats" => (
            "message queue",
            ComponentKind::MessageQueue(QueueParams::default()),
        ),
        _ => return None,
    })
}

/// The classes a link into `kind` carries: a queue takes jobs; a cache or a database reads
/// and writes; a server or a balancer all three (the jobs go on to a queue behind it).
fn carried_into(kind: KindName) -> Vec<TrafficClass> {
    match kind {
        KindName::MessageQueue => vec![TrafficClass::Async],
        KindName::Cache | KindName::Database => {
            vec![TrafficClass::Read, TrafficClass::Write]
        }
        _ => vec![TrafficClass::Read, TrafficClass::Write, TrafficClass::Async],
    }
}

/// The names a service lists under `key` (`depends_on` as a list or a mapping; `links` as
/// `service` or `service:alias`).
fn names_under(service: &Yaml, key: &str) -> Vec<String> {
    match &service[key] {
        Yaml::Array(items) => items
            .iter()
            .filter_map(Yaml::as_str)
            .map(|s| s.split(':').next().unwrap_or(s).trim().to_string())
            .collect(),
        Yaml::Hash(map) => map
            .keys()
            .filter_map(Yaml::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The most block entries (`- `, `? `) a line may open at once: the YAML reader nests one
/// call per entry, and hundreds of thousands of them on one line overflow its stack. No
/// compose file comes near it.
const MAX_ENTRIES_ON_A_LINE: usize = 256;

/// Read a compose file's text into a design named `name`.
pub fn from_compose(text: &str, name: &str) -> Result<Imported, ImportError> {
    for (i, line) in text.lines().enumerate() {
        let mut rest = line.trim_start();
        let mut entries = 0;
        while let Some(after) = rest
            .strip_prefix("- ")
            .or_else(|| rest.strip_prefix("? "))
            .or_else(|| rest.strip_prefix("-\t"))
        {
            entries += 1;
            rest = after.trim_start();
            if entries > MAX_ENTRIES_ON_A_LINE {
                return Err(ImportError {
                    position: Some(TextPosition {
                        line: i + 1,
                        column: line.chars().count() - rest.chars().count() + 1,
                    }),
                    message: format!(
                        "more than {MAX_ENTRIES_ON_A_LINE} nested entries on one line: not a compose file"
                    ),
                });
            }
        }
    }
    let docs = YamlLoader::load_from_str(text).map_err(|e| ImportError {
        position: Some(TextPosition {
            line: e.marker().line(),
            column: e.marker().col() + 1,
        }),
        message: format!("not YAML: {}", e.info()),
    })?;
    let doc = docs.first().ok_or_else(|| ImportError {
        position: None,
        message: "the file is empty".into(),
    })?;
    let services = doc["services"].as_hash().ok_or_else(|| ImportError {
        position: None,
        message: "no 'services' mapping: a compose file lists its services under 'services:'"
            .into(),
    })?;
    let mut notes = Vec::new();
    let mut design = Design::new(name);
    let mut ids = BTreeMap::new();
    let mut order = Vec::new();
    for (key, service) in services {
        let Some(service_name) = key.as_str() else {
            notes.push(format!(
                "a service whose name is not text ({key:?}): left out"
            ));
            continue;
        };
        let most = crate::model::validate::MAX_INSTANCES;
        let replicas = match &service["deploy"]["replicas"] {
            Yaml::BadValue | Yaml::Null => None,
            Yaml::Integer(r) if (1..=i64::from(most)).contains(r) => u32::try_from(*r).ok(),
            Yaml::Integer(r) if *r > i64::from(most) => {
                notes.push(format!(
                    "{service_name}: deploy.replicas {r} is more than the {most} instances a \
                     group may have: {most}"
                ));
                Some(most)
            }
            other => {
                notes.push(format!(
                    "{service_name}: deploy.replicas {other:?} is not a count of one or more: \
                     left out"
                ));
                None
            }
        };
        let (what, mut kind) = match service["image"].as_str() {
            Some(image) => match kind_of_image(image) {
                Some((what, kind)) => {
                    notes.push(format!("{service_name}: image {image} → {what}"));
                    (what, kind)
                }
                None => {
                    notes.push(format!(
                        "{service_name}: image {image} → server (not a balancer, database, cache or queue it knows)"
                    ));
                    ("server", ComponentKind::Server(ServerParams::default()))
                }
            },
            None => {
                notes.push(format!(
                    "{service_name}: no image (built from source) → server"
                ));
                ("server", ComponentKind::Server(ServerParams::default()))
            }
        };
        if let Some(r) = replicas {
            match &mut kind {
                ComponentKind::Server(p) => p.instances = r,
                ComponentKind::LoadBalancer(p) => p.instances = r,
                ComponentKind::Cache(p) => p.instances = r,
                _ => notes.push(format!(
                    "{service_name}: deploy.replicas {r} left out (a {what}'s copies are set in the app)"
                )),
            }
            if matches!(
                kind,
                ComponentKind::Server(_) | ComponentKind::LoadBalancer(_) | ComponentKind::Cache(_)
            ) {
                notes.push(format!("{service_name}: {r} instances (deploy.replicas)"));
            }
        }
        let id = design.add(Component {
            name: service_name.to_string(),
            position: (0.0, 0.0),
            kind,
        });
        ids.insert(service_name.to_string(), id);
        order.push((service_name.to_string(), service));
    }
    if ids.is_empty() {
        return Err(ImportError {
            position: None,
            message: "'services' lists no service".into(),
        });
    }
    // Links: each service calls what it depends on or links to.
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (from, service) in &order {
        for key in ["depends_on", "links"] {
            for to in names_under(service, key) {
                if !ids.contains_key(&to) {
                    notes.push(format!(
                        "{from}: {key} '{to}' is no service of the file: left out"
                    ));
                } else if to == *from {
                    notes.push(format!("{from}: {key} itself: left out"));
                } else {
                    edges.insert((from.clone(), to));
                }
            }
        }
    }
    let kind_of = |d: &Design, name: &str| d.component(ids[name]).map(|c| c.kind.name());
    // A service that depends on a cache and a database reads through the cache: its misses
    // and writes go on to the database (a cache with no store behind would fail them).
    let is = |name: &str, kind: KindName| kind_of(&design, name) == Some(kind);
    for (service, _) in &order {
        let deps: Vec<&String> = edges
            .iter()
            .filter(|(from, _)| from == service)
            .map(|(_, to)| to)
            .collect();
        let cache = deps
            .iter()
            .find(|d| is(d, KindName::Cache))
            .map(|d| (*d).clone());
        let stores: Vec<String> = deps
            .iter()
            .filter(|d| is(d, KindName::Database))
            .map(|d| (*d).clone())
            .collect();
        if let Some(cache) = cache {
            for store in stores {
                edges.remove(&(service.clone(), store.clone()));
                if edges.insert((cache.clone(), store.clone())) {
                    notes.push(format!(
                        "{service}: depends on the cache '{cache}' and the database '{store}': \
                         it reads through the cache, whose misses and writes go on to the \
                         database ({cache} → {store})"
                    ));
                }
            }
        }
    }
    // A worker (no ports, called by no other service) that depends on a queue consumes from
    // it: the queue's consumers hand it the jobs, so the link runs from the queue to it.
    let publishes = |name: &str| {
        order
            .iter()
            .any(|(n, s)| n == name && !matches!(s["ports"], Yaml::BadValue | Yaml::Null))
    };
    let called_by_some: BTreeSet<&str> = edges.iter().map(|(_, to)| to.as_str()).collect();
    let mut links: Vec<(String, String)> = Vec::new();
    for (from, to) in &edges {
        let into_queue = is(to, KindName::MessageQueue);
        let worker = !publishes(from)
            && !called_by_some.contains(from.as_str())
            && is(from, KindName::Server);
        if into_queue && worker {
            notes.push(format!(
                "{from}: a worker (no ports, nothing calls it) that depends on the queue \
                 '{to}': it consumes its jobs ({to} → {from})"
            ));
            links.push((to.clone(), from.clone()));
        } else {
            links.push((from.clone(), to.clone()));
        }
    }
    for (from, to) in &links {
        let Some(from_kind) = kind_of(&design, from) else {
            continue;
        };
        if from_kind == KindName::Database {
            notes.push(format!(
                "{from} → {to}: left out (a database answers requests and calls nothing)"
            ));
            continue;
        }
        let Some(to_kind) = kind_of(&design, to) else {
            continue;
        };
        // What a queue hands on is its jobs.
        let carries = if from_kind == KindName::MessageQueue {
            vec![TrafficClass::Async]
        } else {
            carried_into(to_kind)
        };
        design.connect(ids[from], ids[to], crate::model::Link::new(&carries));
    }
    // The users send to the services that publish ports, else to those nothing calls.
    let called: BTreeSet<&str> = design
        .links()
        .filter_map(|(_, _, to, _)| design.component(to).map(|c| c.name.as_str()))
        .collect();
    // (Never a database: users do not query it themselves.)
    let not_a_database = |n: &String| kind_of(&design, n) != Some(KindName::Database);
    let published: Vec<String> = order
        .iter()
        .filter(|(_, s)| !matches!(s["ports"], Yaml::BadValue | Yaml::Null))
        .map(|(n, _)| n.clone())
        .filter(not_a_database)
        .collect();
    let entries: Vec<String> = if published.is_empty() {
        order
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !called.contains(n.as_str()))
            .filter(not_a_database)
            .collect()
    } else {
        published
    };
    // Reads and writes, and a tenth of jobs when there is a queue to take them.
    let queues = design
        .components()
        .any(|(_, c)| matches!(c.kind, ComponentKind::MessageQueue(_)));
    let users = design.add(Component {
        name: unique_name(&design, "users"),
        position: (0.0, 0.0),
        kind: ComponentKind::Client(ClientParams {
            mix: crate::model::TrafficMix {
                read: if queues { 0.7 } else { 0.8 },
                write: 0.2,
                static_files: 0.0,
                async_jobs: if queues { 0.1 } else { 0.0 },
            },
            ..ClientParams::default()
        }),
    });
    for entry in &entries {
        let Some(kind) = kind_of(&design, entry) else {
            continue;
        };
        let carries: Vec<TrafficClass> = carried_into(kind)
            .into_iter()
            .filter(|c| queues || *c != TrafficClass::Async)
            .collect();
        design.connect(users, ids[entry], crate::model::Link::new(&carries));
    }
    notes.push(format!(
        "users: a client of the kind's defaults (reads and writes{}), sending to {}",
        if queues {
            ", a tenth jobs for the queue"
        } else {
            ""
        },
        if entries.is_empty() {
            "nothing (every service is called by another: link it in the app)".to_string()
        } else {
            entries.join(", ")
        }
    ));
    lay_out(&mut design, users);
    design.scenarios = vec![Scenario::default()];
    design.default_scenario = Scenario::default().name;
    Ok(Imported { design, notes })
}

/// A name no component has yet: `base`, else `base 2`, `base 3`, …
fn unique_name(design: &Design, base: &str) -> String {
    let taken: BTreeSet<&str> = design.components().map(|(_, c)| c.name.as_str()).collect();
    (1..)
        .map(|k| {
            if k == 1 {
                base.to_string()
            } else {
                format!("{base} {k}")
            }
        })
        .find(|n| !taken.contains(n.as_str()))
        .unwrap_or_else(|| base.to_string())
}

/// Columns by depth from `root` (the longest path of links, so that every link goes right),
/// rows in design order; what the root does not reach goes in a last column.
fn lay_out(design: &mut Design, root: crate::model::ComponentId) {
    let ids: Vec<_> = design.components().map(|(id, _)| id).collect();
    let mut depth: HashMap<crate::model::ComponentId, usize> = HashMap::from([(root, 0)]);
    // Relax the longest path a bounded number of rounds (a cycle stops growing at the cap).
    for _ in 0..ids.len() {
        let mut changed = false;
        for (_, from, to, _) in design.links() {
            if let Some(&d) = depth.get(&from) {
                let next = (d + 1).min(ids.len());
                if depth.get(&to).is_none_or(|&old| old < next) {
                    depth.insert(to, next);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    let last = depth.values().copied().max().unwrap_or(0) + 1;
    let mut rows: HashMap<usize, usize> = HashMap::new();
    for id in ids {
        let column = depth.get(&id).copied().unwrap_or(last);
        let row = rows.entry(column).or_default();
        if let Some(c) = design.component_mut(id) {
            c.position = (column as f32 * 240.0, *row as f32 * 120.0);
        }
        *row += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Whatever the text, the import reads it or says why: it never panics, and what it
        /// reads names every component uniquely.
        #[test]
        fn any_text_imports_or_is_refused(text in "\\PC{0,200}") {
            if let Ok(imported) = from_compose(&text, "fuzz") {
                let names: BTreeSet<&str> =
                    imported.design.components().map(|(_, c)| c.name.as_str()).collect();
                proptest::prop_assert_eq!(names.len(), imported.design.components().count());
            }
        }

        /// The shipped example with a line cut short or dropped still reads or is refused.
        #[test]
        fn a_damaged_compose_file_imports_or_is_refused(line in 0usize..40, keep in 0usize..30) {
            let text = include_str!("../assets/examples/shop-compose.yml");
            let damaged: String = text
                .lines()
                .enumerate()
                .map(|(i, l)| if i == line { l.chars().take(keep).collect::<String>() } else { l.to_string() })
                .collect::<Vec<_>>()
                .join("\n");
            let _ = from_compose(&damaged, "damaged");
        }
    }

    #[test]
    fn entries_nested_past_what_a_compose_file_has_are_refused_not_overflowing_the_stack() {
        // 300,000 nested sequences on one line overflowed the YAML reader's stack.
        let text = "- ".repeat(300_000) + "x";
        let e = from_compose(&text, "deep").expect_err("refused");
        assert_eq!(e.position.map(|p| p.line), Some(1));
        assert!(e.message.contains("nested"), "{}", e.message);
        // A real file's few levels read as before.
        assert!(from_compose("services:\n  a:\n    ports:\n      - \"80:80\"\n", "ok").is_ok());
    }

    #[test]
    fn an_image_is_known_by_its_last_path_part_before_the_tag() {
        let kind = |image: &str| kind_of_image(image).map(|(what, _)| what);
        assert_eq!(kind("nginx"), Some("load balancer"));
        assert_eq!(kind("nginx:1.25-alpine"), Some("load balancer"));
        assert_eq!(kind("docker.io/library/haproxy:2.9"), Some("load balancer"));
        assert_eq!(
            kind("registry.example.com:5000/team/postgres:16@sha256:ab"),
            Some("database")
        );
        assert_eq!(kind("bitnami/redis:7"), Some("cache"));
        assert_eq!(
            kind("confluentinc/cp-kafka"),
            None,
            "a different image name"
        );
        assert_eq!(kind("bitnami/kafka:3.7"), Some("message queue"));
        assert_eq!(kind("mycompany/api:2.1"), None);
    }
}
