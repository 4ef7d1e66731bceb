//! JSONPath as ASL uses it: reference paths (`$`, `$.a.b`, `$.a[0]`, `$['a b']`) on the state's
//! data or, with `$$`, on the context object; and, where Step Functions allows JSONPath beyond
//! reference paths (Parameters, ItemsPath, intrinsic arguments, Choice variables), one filter:
//! `[?(@.field == 'text')]`, the elements of an array whose field equals a string, as an array.

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Field(String),
    Index(usize),
    /// `[?(@.field == 'value')]`: the array's elements whose `field` is the string `value`.
    Equals {
        field: String,
        value: String,
    },
}

/// A parsed reference path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub context: bool,
    segments: Vec<Segment>,
    text: String,
}

impl Path {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (context, mut rest) = if let Some(r) = text.strip_prefix("$$") {
            (true, r)
        } else if let Some(r) = text.strip_prefix('$') {
            (false, r)
        } else {
            return Err(format!("path {text:?} must start with $"));
        };
        let mut segments = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                let name = &r[..end];
                if name.is_empty() || name.contains(['*', '?', '@']) {
                    return Err(format!("path {text:?}: unsupported segment {name:?}"));
                }
                segments.push(Segment::Field(name.to_string()));
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix("['") {
                let end = r
                    .find("']")
                    .ok_or_else(|| format!("path {text:?}: unclosed ['"))?;
                segments.push(Segment::Field(r[..end].to_string()));
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix("[?(@.") {
                let end = r
                    .find(")]")
                    .ok_or_else(|| format!("path {text:?}: unclosed [?("))?;
                let (field, value) = r[..end]
                    .split_once(" == ")
                    .map(|(f, v)| (f.trim(), v.trim()))
                    .filter(|(f, v)| {
                        !f.is_empty()
                            && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                            && v.len() >= 2
                            && v.starts_with('\'')
                            && v.ends_with('\'')
                            && !v[1..v.len() - 1].contains('\'')
                    })
                    .ok_or_else(|| {
                        format!(
                            "path {text:?}: the only filter supported is [?(@.field == 'text')]"
                        )
                    })?;
                segments.push(Segment::Equals {
                    field: field.to_string(),
                    value: value[1..value.len() - 1].to_string(),
                });
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r
                    .find(']')
                    .ok_or_else(|| format!("path {text:?}: unclosed ["))?;
                let index = r[..end].parse().map_err(|_| {
                    format!("path {text:?}: only plain array indexes are supported")
                })?;
                segments.push(Segment::Index(index));
                rest = &r[end + 1..];
            } else {
                return Err(format!("path {text:?}: unexpected {rest:?}"));
            }
        }
        Ok(Self {
            context,
            segments,
            text: text.to_string(),
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value at this path, `None` when absent. A filter gives a new array (possibly empty).
    pub fn get(&self, data: &Value, context: &Value) -> Option<Value> {
        let root = if self.context { context } else { data };
        let mut v = std::borrow::Cow::Borrowed(root);
        for s in &self.segments {
            v = match s {
                Segment::Field(f) => match v {
                    std::borrow::Cow::Borrowed(b) => {
                        std::borrow::Cow::Borrowed(b.as_object()?.get(f)?)
                    }
                    std::borrow::Cow::Owned(o) => {
                        std::borrow::Cow::Owned(o.as_object()?.get(f)?.clone())
                    }
                },
                Segment::Index(i) => match v {
                    std::borrow::Cow::Borrowed(b) => {
                        std::borrow::Cow::Borrowed(b.as_array()?.get(*i)?)
                    }
                    std::borrow::Cow::Owned(o) => {
                        std::borrow::Cow::Owned(o.as_array()?.get(*i)?.clone())
                    }
                },
                Segment::Equals { field, value } => std::borrow::Cow::Owned(Value::Array(
                    v.as_array()?
                        .iter()
                        .filter(|e| e.get(field).and_then(Value::as_str) == Some(value.as_str()))
                        .cloned()
                        .collect(),
                )),
            };
        }
        Some(v.into_owned())
    }

    /// Puts `value` at this path inside `data` (ResultPath semantics: `$` replaces everything;
    /// missing objects on the way are created).
    pub fn set(&self, data: Value, value: Value) -> Result<Value, String> {
        if self.context {
            return Err(format!(
                "ResultPath {} cannot point into the context object",
                self.text
            ));
        }
        if self.segments.is_empty() {
            return Ok(value);
        }
        let mut root = data;
        if !root.is_object() {
            return Err(format!(
                "ResultPath {} needs the state's data to be an object",
                self.text
            ));
        }
        let mut cursor = &mut root;
        for (i, s) in self.segments.iter().enumerate() {
            let last = i + 1 == self.segments.len();
            match s {
                Segment::Field(f) => {
                    let obj = cursor.as_object_mut().ok_or_else(|| {
                        format!("ResultPath {}: {f} is inside a non-object", self.text)
                    })?;
                    if last {
                        obj.insert(f.clone(), value);
                        return Ok(root);
                    }
                    cursor = obj
                        .entry(f.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
                Segment::Index(_) | Segment::Equals { .. } => {
                    return Err(format!("ResultPath {} cannot index arrays", self.text))
                }
            }
        }
        unreachable!("the loop returns at the last segment")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gets_and_sets() {
        let data = json!({"a": {"b": [10, {"c": "x"}]}, "d e": 1});
        let ctx = json!({"Execution": {"StartTime": "2026-11-25T17:00:00Z"}});
        assert_eq!(
            Path::parse("$.a.b[1].c").unwrap().get(&data, &ctx),
            Some(json!("x"))
        );
        assert_eq!(
            Path::parse("$['d e']").unwrap().get(&data, &ctx),
            Some(json!(1))
        );
        assert_eq!(
            Path::parse("$$.Execution.StartTime")
                .unwrap()
                .get(&data, &ctx),
            Some(json!("2026-11-25T17:00:00Z"))
        );
        assert_eq!(Path::parse("$.missing").unwrap().get(&data, &ctx), None);
        let set = Path::parse("$.x.y")
            .unwrap()
            .set(json!({"k": 1}), json!(2))
            .unwrap();
        assert_eq!(set, json!({"k": 1, "x": {"y": 2}}));
        assert_eq!(
            Path::parse("$")
                .unwrap()
                .set(json!({"k": 1}), json!(3))
                .unwrap(),
            json!(3)
        );
        assert!(Path::parse("$.a[*]").is_err());
        let outcomes = json!({"o": [{"s": "failed", "t": "a"}, {"s": "done", "t": "b"}, {"s": "failed", "t": "c"}]});
        assert_eq!(
            Path::parse("$.o[?(@.s == 'failed')]")
                .unwrap()
                .get(&outcomes, &ctx),
            Some(json!([{"s": "failed", "t": "a"}, {"s": "failed", "t": "c"}]))
        );
        assert_eq!(
            Path::parse("$.o[?(@.s == 'failed')][1].t")
                .unwrap()
                .get(&outcomes, &ctx),
            Some(json!("c"))
        );
        assert_eq!(
            Path::parse("$.o[?(@.s == 'gone')]")
                .unwrap()
                .get(&outcomes, &ctx),
            Some(json!([]))
        );
        assert!(Path::parse("$.o[?(@.s > 1)]").is_err());
        assert!(Path::parse("$.o[?(@.s == failed)]").is_err());
        assert!(Path::parse("a.b").is_err());
    }
}
