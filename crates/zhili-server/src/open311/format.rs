//! The two Open311 formats from one value: XML (required by GeoReport v2) and JSON (the "Spark"
//! mapping of the XML: a list element becomes an array, its items objects).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use zhili_domain::clock::{Timestamp, cst};

/// `.json` or `.xml`, from the last part of the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Json,
    Xml,
}

impl Fmt {
    /// Split `requests.json` into (`requests`, Json); `None` for another or no suffix.
    pub fn split(file: &str) -> Option<(&str, Fmt)> {
        if let Some(stem) = file.strip_suffix(".json") {
            Some((stem, Fmt::Json))
        } else {
            file.strip_suffix(".xml").map(|stem| (stem, Fmt::Xml))
        }
    }
    fn content_type(self) -> &'static str {
        match self {
            Fmt::Json => "application/json; charset=utf-8",
            Fmt::Xml => "text/xml; charset=utf-8",
        }
    }
}

/// A value in an Open311 document.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    Null,
    /// A list: in XML each item is an element of the given name.
    List(&'static str, Vec<V>),
    Obj(Vec<(&'static str, V)>),
}

impl V {
    pub fn s(x: impl Into<String>) -> V {
        V::Str(x.into())
    }
    pub fn opt_s(x: Option<impl Into<String>>) -> V {
        x.map_or(V::Null, |x| V::Str(x.into()))
    }
    pub fn opt_num(x: Option<f64>) -> V {
        x.map_or(V::Null, V::Num)
    }
    /// W3C date-time with its offset, in China Standard Time: `2021-09-29T09:00:00+08:00`.
    pub fn time(t: Timestamp) -> V {
        V::Str(
            t.with_timezone(&cst())
                .to_rfc3339_opts(SecondsFormat::Secs, false),
        )
    }
    pub fn opt_time(t: Option<Timestamp>) -> V {
        t.map_or(V::Null, V::time)
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            V::Str(s) => J::String(s.clone()),
            V::Int(i) => J::from(*i),
            V::Num(n) => serde_json::Number::from_f64(*n).map_or(J::Null, J::Number),
            V::Bool(b) => J::Bool(*b),
            V::Null => J::Null,
            V::List(_, items) => J::Array(items.iter().map(V::to_json).collect()),
            V::Obj(fields) => J::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The value as the content of an element named `name`.
    pub fn write_xml(&self, name: &str, out: &mut String) {
        out.push('<');
        out.push_str(name);
        out.push('>');
        match self {
            V::Str(s) => escape_into(s, out),
            V::Int(i) => out.push_str(&i.to_string()),
            V::Num(n) => out.push_str(&n.to_string()),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Null => {}
            V::List(item, items) => {
                for v in items {
                    v.write_xml(item, out);
                }
            }
            V::Obj(fields) => {
                for (k, v) in fields {
                    v.write_xml(k, out);
                }
            }
        }
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }

    /// The document: `root` names the XML root element (JSON has none).
    pub fn respond(&self, root: &str, fmt: Fmt, status: StatusCode) -> Response {
        let body = match fmt {
            Fmt::Json => self.to_json().to_string(),
            Fmt::Xml => {
                let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
                self.write_xml(root, &mut out);
                out
            }
        };
        (status, [(header::CONTENT_TYPE, fmt.content_type())], body).into_response()
    }
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// An Open311 error reply: HTTP status and `errors/error[]` with `code` and `description`.
#[derive(Debug, Clone)]
pub struct Open311Error {
    pub status: StatusCode,
    pub description: String,
}

impl Open311Error {
    pub fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            status,
            description: description.into(),
        }
    }
    pub fn bad(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }
    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }
    pub fn respond(&self, fmt: Fmt) -> Response {
        V::List(
            "error",
            vec![V::Obj(vec![
                ("code", V::Int(i64::from(self.status.as_u16()))),
                ("description", V::s(&self.description)),
            ])],
        )
        .respond("errors", fmt, self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_two_formats() {
        let v = V::List(
            "request",
            vec![V::Obj(vec![
                ("service_request_id", V::s("2021UR0000001")),
                ("lat", V::Num(22.805)),
                ("account_id", V::Null),
                ("description", V::s("井盖<缺失> & \"破损\"\u{1}")),
            ])],
        );
        assert_eq!(
            v.to_json(),
            serde_json::json!([{"service_request_id": "2021UR0000001", "lat": 22.805,
                "account_id": null, "description": "井盖<缺失> & \"破损\"\u{1}"}])
        );
        let mut x = String::new();
        v.write_xml("service_requests", &mut x);
        assert_eq!(
            x,
            "<service_requests><request><service_request_id>2021UR0000001</service_request_id>\
             <lat>22.805</lat><account_id></account_id>\
             <description>井盖&lt;缺失&gt; &amp; &quot;破损&quot;</description></request></service_requests>"
        );
        assert_eq!(Fmt::split("requests.xml"), Some(("requests", Fmt::Xml)));
        assert_eq!(Fmt::split("requests"), None);
        let t = zhili_domain::clock::from_local(
            chrono::NaiveDateTime::parse_from_str("2021-09-29 09:00", "%Y-%m-%d %H:%M").unwrap(),
        );
        assert_eq!(V::time(t), V::s("2021-09-29T09:00:00+08:00"));
    }
}
