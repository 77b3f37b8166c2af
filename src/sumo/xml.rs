//! Writing SUMO's XML: elements with attributes, escaped, one per line, indented.
//!
//! SUMO's plain-XML, route and additional files are flat lists of elements with attributes;
//! this is all the writing they need, so no XML library is pulled in for it.

use std::fmt::Write as _;

/// Escapes text for an attribute value in double quotes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A number as SUMO reads it: no exponent, no more than three decimals, no trailing zeros.
pub fn num(x: f64) -> String {
    let s = format!("{:.3}", x + 0.0);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// An XML document being written.
#[derive(Default)]
pub struct Doc {
    text: String,
    depth: usize,
}

impl Doc {
    /// A document whose root element is `root` with `attrs`, after a comment.
    pub fn new(comment: &str, root: &str, attrs: &[(&str, String)]) -> Doc {
        let mut doc = Doc {
            text: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            depth: 0,
        };
        for line in comment.lines() {
            let _ = writeln!(doc.text, "<!-- {} -->", line.replace("--", "- -"));
        }
        doc.open(root, attrs);
        doc
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, String)], close: &str) {
        let _ = write!(self.text, "{:1$}<{name}", "", self.depth * 4);
        for (key, value) in attrs {
            let _ = write!(self.text, " {key}=\"{}\"", escape(value));
        }
        let _ = writeln!(self.text, "{close}>");
    }

    /// An element with children to come; close it with [`Doc::close`].
    pub fn open(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.tag(name, attrs, "");
        self.depth += 1;
    }

    /// An element without children.
    pub fn leaf(&mut self, name: &str, attrs: &[(&str, String)]) {
        self.tag(name, attrs, "/");
    }

    /// Closes the innermost open element.
    pub fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        let _ = writeln!(self.text, "{:1$}</{name}>", "", self.depth * 4);
    }

    /// Closes the root element `root` and returns the text.
    pub fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.text
    }
}

/// `(key, value)` for an attribute list.
pub fn attr(key: &str, value: impl ToString) -> (&str, String) {
    (key, value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_formats() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(num(13.888_888), "13.889");
        assert_eq!(num(-0.0), "0");
        assert_eq!(num(120.0), "120");
        let mut doc = Doc::new("made here", "nodes", &[]);
        doc.leaf("node", &[attr("id", "J1"), attr("x", num(1.5))]);
        let text = doc.finish("nodes");
        assert!(
            text.contains(
                "<!-- made here -->\n<nodes>\n    <node id=\"J1\" x=\"1.5\"/>\n</nodes>\n"
            )
        );
    }
}
