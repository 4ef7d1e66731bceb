//! Payload templates (`Parameters`, `ItemSelector`, `ResultSelector`): keys ending in `.$` take
//! their value from a path or an intrinsic function; everything else is literal.

use serde_json::{Map, Value};

use crate::intrinsic::Call;
use crate::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub enum Template {
    Literal(Value),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
    Path(Path),
    Intrinsic(Call),
}

impl Template {
    pub fn parse(value: &Value) -> Result<Self, String> {
        Ok(match value {
            Value::Object(map) => Template::Object(
                map.iter()
                    .map(|(k, v)| {
                        if let Some(name) = k.strip_suffix(".$") {
                            let text = v
                                .as_str()
                                .ok_or_else(|| format!("{k} must be a string path or intrinsic"))?;
                            Ok((name.to_string(), Template::dynamic(text)?))
                        } else {
                            Ok((k.clone(), Template::parse(v)?))
                        }
                    })
                    .collect::<Result<_, String>>()?,
            ),
            Value::Array(items) => Template::Array(
                items
                    .iter()
                    .map(Template::parse)
                    .collect::<Result<_, _>>()?,
            ),
            other => Template::Literal(other.clone()),
        })
    }

    /// The value of a `.$` field (or a Fail state's `ErrorPath`/`CausePath`): an intrinsic
    /// function when it starts with `States.`, else a reference path.
    pub fn dynamic(text: &str) -> Result<Self, String> {
        Ok(if text.starts_with("States.") {
            Template::Intrinsic(Call::parse(text)?)
        } else {
            Template::Path(Path::parse(text)?)
        })
    }

    /// A literal string field of an object template (e.g. a Task's `StateMachineArn`).
    pub fn literal_field(&self, name: &str) -> Option<String> {
        match self {
            Template::Object(fields) => fields.iter().find_map(|(k, v)| match v {
                Template::Literal(Value::String(s)) if k == name => Some(s.clone()),
                _ => None,
            }),
            _ => None,
        }
    }

    pub fn apply(&self, data: &Value, context: &Value) -> Result<Value, String> {
        Ok(match self {
            Template::Literal(v) => v.clone(),
            Template::Object(fields) => {
                let mut out = Map::new();
                for (k, t) in fields {
                    out.insert(k.clone(), t.apply(data, context)?);
                }
                Value::Object(out)
            }
            Template::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| t.apply(data, context))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Path(p) => p
                .get(data, context)
                .ok_or_else(|| format!("the path {} was not found in the input", p.text()))?,
            Template::Intrinsic(c) => c.eval(data, context)?,
        })
    }
}
