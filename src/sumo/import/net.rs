//! Reading a SUMO network (`.net.xml`) and additional files into plain records, with every
//! error naming the file, the line and the element.
//!
//! Only what greenwave can use is read: junctions (position, type), normal edges with their
//! lanes (index, speed, length, who may use them), connections between normal edges (with the
//! traffic light and link index that control them), traffic-light programs, and E1 induction
//! loops. Internal edges and lanes (SUMO's paths through a junction), crossings and walking
//! areas are skipped.

use std::path::Path;

use roxmltree::{Document, Node};

use crate::sumo::network::{LOOP_CHANNEL, LOOP_KIND};

/// A problem with an input file, named by file, line and element.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// Not well-formed XML.
    #[error("{path}: not well-formed XML: {message}")]
    Xml { path: String, message: String },
    /// Well-formed, but an element lacks what it must have.
    #[error("{path}, line {line}: <{element}>: {message}")]
    Element {
        path: String,
        line: u32,
        element: String,
        message: String,
    },
}

/// A junction.
#[derive(Clone, Debug)]
pub struct Junction {
    pub id: String,
    pub kind: String,
    pub x: f64,
    pub y: f64,
}

/// A lane of a normal edge.
#[derive(Clone, Debug)]
pub struct Lane {
    pub index: usize,
    pub speed: f64,
    pub length: f64,
    /// Its width, m (SUMO's default 3.2 m where the file gives none).
    pub width: f64,
    /// Whether passenger cars may use it.
    pub cars: bool,
    /// Who may use it, as SUMO says (`allow` or everything but `disallow`), for the report.
    pub used_by: String,
}

/// A normal edge.
#[derive(Clone, Debug)]
pub struct Edge {
    pub id: String,
    pub from: String,
    pub to: String,
    pub lanes: Vec<Lane>,
    pub line: u32,
    /// The street's name (netconvert's `--output.street-names`).
    pub name: Option<String>,
}

/// A connection between two normal edges.
#[derive(Clone, Debug)]
pub struct Connection {
    pub from: String,
    pub to: String,
    pub from_lane: usize,
    pub tl: Option<String>,
    pub link_index: Option<usize>,
}

/// A phase of a program.
#[derive(Clone, Debug)]
pub struct Phase {
    pub duration: f64,
    pub state: String,
    pub name: Option<String>,
}

/// A traffic-light program.
#[derive(Clone, Debug)]
pub struct TlLogic {
    pub id: String,
    pub kind: String,
    pub program: String,
    pub offset: f64,
    pub phases: Vec<Phase>,
    /// Signal-group ids written by `greenwave export sumo`, one per link index.
    pub groups: Option<Vec<String>>,
    /// Every stage (id, group ids) the intersection allows, as `greenwave export sumo` writes
    /// them.
    pub stages: Option<Vec<(String, Vec<String>)>>,
    pub line: u32,
}

/// An E1 induction loop.
#[derive(Clone, Debug)]
pub struct Loop {
    pub id: String,
    pub lane: String,
    pub pos: f64,
    pub length: f64,
    pub line: u32,
    /// Its cabinet channel and kind, where a greenwave export gave them as generic parameters.
    pub channel: Option<u8>,
    pub kind: Option<String>,
}

/// What a network file holds.
#[derive(Clone, Debug, Default)]
pub struct Net {
    /// SUMO's `netOffset`: network coordinates are the original ones plus this.
    pub offset: (f64, f64),
    pub junctions: Vec<Junction>,
    pub edges: Vec<Edge>,
    pub connections: Vec<Connection>,
    pub programs: Vec<TlLogic>,
}

/// An element being read, for its attributes and errors.
pub struct Element<'a, 'input> {
    pub node: Node<'a, 'input>,
    pub path: &'a str,
    pub line: u32,
}

impl<'a, 'input> Element<'a, 'input> {
    pub fn new(doc: &'a Document<'input>, node: Node<'a, 'input>, path: &'a str) -> Self {
        let line = doc.text_pos_at(node.range().start).row;
        Element { node, path, line }
    }

    pub fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError::Element {
            path: self.path.to_owned(),
            line: self.line,
            element: self.node.tag_name().name().to_owned(),
            message: message.into(),
        }
    }

    pub fn opt(&self, key: &str) -> Option<&'a str> {
        self.node.attribute(key)
    }

    pub fn text(&self, key: &str) -> Result<&'a str, ReadError> {
        self.opt(key)
            .ok_or_else(|| self.error(format!("missing attribute `{key}`")))
    }

    pub fn number<T: std::str::FromStr>(&self, key: &str) -> Result<T, ReadError> {
        let text = self.text(key)?;
        text.trim()
            .parse()
            .map_err(|_| self.error(format!("`{key}` is `{text}`, not a number")))
    }

    pub fn number_or<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, ReadError> {
        match self.opt(key) {
            None => Ok(default),
            Some(_) => self.number(key),
        }
    }
}

/// Reads and parses a file, turning every failure into a [`ReadError`].
pub fn read(path: &Path) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Parses XML text; the error names the position (and, where the parser says, the element).
pub fn parse<'input>(path: &str, text: &'input str) -> Result<Document<'input>, ReadError> {
    Document::parse(text).map_err(|e| ReadError::Xml {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Whether passenger cars may use a lane with these `allow` / `disallow` lists.
fn cars_allowed(allow: Option<&str>, disallow: Option<&str>) -> (bool, String) {
    let has = |list: &str, class: &str| list.split_whitespace().any(|c| c == class);
    match (allow, disallow) {
        (Some(a), _) => (has(a, "passenger") || has(a, "all"), a.to_owned()),
        (None, Some(d)) => (
            !(has(d, "passenger") || has(d, "all")),
            format!("all but {d}"),
        ),
        (None, None) => (true, "all".to_owned()),
    }
}

fn edge(e: &Element<'_, '_>, doc: &Document<'_>) -> Result<Edge, ReadError> {
    let mut lanes = Vec::new();
    for child in e.node.children().filter(|c| c.has_tag_name("lane")) {
        let l = Element::new(doc, child, e.path);
        let (cars, used_by) = cars_allowed(l.opt("allow"), l.opt("disallow"));
        lanes.push(Lane {
            index: l.number("index")?,
            speed: l.number("speed")?,
            length: l.number("length")?,
            width: l.number_or("width", 3.2)?,
            cars,
            used_by,
        });
    }
    lanes.sort_by_key(|l| l.index);
    if lanes.iter().enumerate().any(|(i, l)| l.index != i) {
        return Err(e.error("lane indices are not 0, 1, 2, ..."));
    }
    Ok(Edge {
        id: e.text("id")?.to_owned(),
        from: e.text("from")?.to_owned(),
        to: e.text("to")?.to_owned(),
        lanes,
        line: e.line,
        name: e.opt("name").filter(|n| !n.is_empty()).map(str::to_owned),
    })
}

fn tl_logic(e: &Element<'_, '_>, doc: &Document<'_>) -> Result<TlLogic, ReadError> {
    let mut phases = Vec::new();
    let mut groups = None;
    let mut stages = None;
    for child in e.node.children().filter(|c| c.is_element()) {
        let c = Element::new(doc, child, e.path);
        if child.has_tag_name("phase") {
            let duration: f64 = c.number("duration")?;
            if !(duration.is_finite() && duration >= 0.0) {
                return Err(c.error(format!("duration {duration} s is not a duration")));
            }
            phases.push(Phase {
                duration,
                state: c.text("state")?.to_owned(),
                name: c.opt("name").map(str::to_owned),
            });
        } else if child.has_tag_name("param") && c.opt("key") == Some("greenwave.groups") {
            groups = Some(
                c.text("value")?
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            );
        } else if child.has_tag_name("param") && c.opt("key") == Some("greenwave.stages") {
            let mut list = Vec::new();
            for item in c.text("value")?.split_whitespace() {
                let (id, members) = item
                    .split_once('=')
                    .ok_or_else(|| c.error(format!("stage `{item}` is not `STAGE=GROUP,GROUP`")))?;
                list.push((
                    id.to_owned(),
                    members.split(',').map(str::to_owned).collect(),
                ));
            }
            stages = Some(list);
        }
    }
    if phases.is_empty() {
        return Err(e.error("a program without phases"));
    }
    let width = phases[0].state.chars().count();
    if phases.iter().any(|p| p.state.chars().count() != width) {
        return Err(e.error("phases with states of different lengths"));
    }
    Ok(TlLogic {
        id: e.text("id")?.to_owned(),
        kind: e.opt("type").unwrap_or("static").to_owned(),
        program: e.opt("programID").unwrap_or("0").to_owned(),
        offset: e.number_or("offset", 0.0)?,
        phases,
        groups,
        stages,
        line: e.line,
    })
}

/// Reads a `.net.xml`.
pub fn net(path: &Path) -> Result<Net, ReadError> {
    let text = read(path)?;
    let name = path.display().to_string();
    let doc = parse(&name, &text)?;
    let root = doc.root_element();
    if !root.has_tag_name("net") {
        return Err(
            Element::new(&doc, root, &name).error("not a SUMO network (the root is not <net>)")
        );
    }
    let mut net = Net::default();
    for node in root.children().filter(|c| c.is_element()) {
        let e = Element::new(&doc, node, &name);
        match node.tag_name().name() {
            "location" => {
                if let Some(off) = e.opt("netOffset") {
                    let xy: Vec<f64> = off
                        .split(',')
                        .filter_map(|v| v.trim().parse().ok())
                        .collect();
                    let [x, y] = xy[..] else {
                        return Err(e.error(format!("netOffset `{off}` is not `x,y`")));
                    };
                    net.offset = (x, y);
                }
            }
            "junction" if e.opt("type") != Some("internal") => net.junctions.push(Junction {
                id: e.text("id")?.to_owned(),
                kind: e.opt("type").unwrap_or("priority").to_owned(),
                x: e.number("x")?,
                y: e.number("y")?,
            }),
            "edge" if e.opt("function").is_none_or(|f| f == "normal") => {
                net.edges.push(edge(&e, &doc)?)
            }
            "connection" => {
                let from = e.text("from")?;
                if from.starts_with(':') {
                    continue;
                }
                net.connections.push(Connection {
                    from: from.to_owned(),
                    to: e.text("to")?.to_owned(),
                    from_lane: e.number("fromLane")?,
                    tl: e.opt("tl").map(str::to_owned),
                    link_index: match e.opt("linkIndex") {
                        None => None,
                        Some(_) => Some(e.number("linkIndex")?),
                    },
                });
            }
            "tlLogic" => net.programs.push(tl_logic(&e, &doc)?),
            _ => {}
        }
    }
    Ok(net)
}

/// Reads the E1 induction loops of an additional file.
pub fn loops(path: &Path) -> Result<Vec<Loop>, ReadError> {
    let text = read(path)?;
    let name = path.display().to_string();
    let doc = parse(&name, &text)?;
    let mut out = Vec::new();
    for node in doc
        .descendants()
        .filter(|n| n.has_tag_name("inductionLoop") || n.has_tag_name("e1Detector"))
    {
        let e = Element::new(&doc, node, &name);
        let param = |key: &str| {
            node.children()
                .filter(|c| c.has_tag_name("param") && c.attribute("key") == Some(key))
                .find_map(|c| c.attribute("value"))
        };
        let channel = match param(LOOP_CHANNEL) {
            None => None,
            Some(text) => Some(text.trim().parse().map_err(|_| {
                e.error(format!(
                    "param `{LOOP_CHANNEL}` is `{text}`, not a channel (0 to 255)"
                ))
            })?),
        };
        out.push(Loop {
            id: e.text("id")?.to_owned(),
            lane: e.text("lane")?.to_owned(),
            pos: e.number("pos")?,
            length: e.number_or("length", 0.0)?,
            line: e.line,
            channel,
            kind: param(LOOP_KIND).map(str::to_owned),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net_of(text: &str) -> Result<Net, ReadError> {
        let dir = std::env::temp_dir().join(format!("greenwave-net-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.net.xml", text.len()));
        std::fs::write(&path, text).unwrap();
        net(&path)
    }

    #[test]
    fn malformed_files_name_the_line_and_element() {
        let err = net_of("<net>\n<edge id=\"a\" from=\"x\">\n</net>")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not well-formed") && err.contains("edge"),
            "{err}"
        );
        let err = net_of("<net>\n<junction id=\"a\" x=\"1\"/>\n</net>")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2: <junction>: missing attribute `y`"),
            "{err}"
        );
        let err = net_of("<net>\n\n<edge id=\"a\" from=\"x\" to=\"y\"><lane index=\"0\" speed=\"fast\" length=\"3\"/></edge></net>")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 3: <lane>: `speed` is `fast`, not a number"),
            "{err}"
        );
        assert!(
            net_of("<routes/>")
                .unwrap_err()
                .to_string()
                .contains("not a SUMO network")
        );
    }

    #[test]
    fn lanes_say_who_may_use_them() {
        assert!(cars_allowed(None, None).0);
        assert!(!cars_allowed(Some("bicycle"), None).0);
        assert!(!cars_allowed(None, Some("passenger bus")).0);
        assert!(cars_allowed(Some("passenger taxi"), None).0);
    }
}
