//! JSONPath as ASL uses it: reference paths (`$`, `$.a.b`, `$.a[0]`, `$['a b']`) on the state's
//! data or, with `$$`, on the context object.

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Field(String),
    Index(usize),
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

    /// The value at this path, `None` when absent.
    pub fn get<'a>(&self, data: &'a Value, context: &'a Value) -> Option<&'a Value> {
        let mut v = if self.context { context } else { data };
        for s in &self.segments {
            v = match s {
                Segment::Field(f) => v.as_object()?.get(f)?,
                Segment::Index(i) => v.as_array()?.get(*i)?,
            };
        }
        Some(v)
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
                Segment::Index(_) => {
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
            Some(&json!("x"))
        );
        assert_eq!(
            Path::parse("$['d e']").unwrap().get(&data, &ctx),
            Some(&json!(1))
        );
        assert_eq!(
            Path::parse("$$.Execution.StartTime")
                .unwrap()
                .get(&data, &ctx),
            Some(&json!("2026-11-25T17:00:00Z"))
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
        assert!(Path::parse("a.b").is_err());
    }
}
