//! The intrinsic functions the project's ASL uses. Others are refused when the file is loaded.

use serde_json::Value;

use crate::path::Path;

pub const SUPPORTED: &[&str] = &[
    "States.Format",
    "States.StringToJson",
    "States.JsonToString",
    "States.Array",
    "States.ArrayGetItem",
    "States.ArrayLength",
    "States.ArrayRange",
    "States.ArrayUnique",
    "States.StringSplit",
    "States.MathAdd",
];

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Literal(Value),
    Path(Path),
    Call(Call),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Arg>,
}

impl Call {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            text,
        };
        let call = p.call()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("intrinsic {text:?}: trailing text"));
        }
        Ok(call)
    }

    pub fn eval(&self, data: &Value, context: &Value) -> Result<Value, String> {
        let args = self
            .args
            .iter()
            .map(|a| match a {
                Arg::Literal(v) => Ok(v.clone()),
                Arg::Path(p) => p
                    .get(data, context)
                    .ok_or_else(|| format!("{}: path {} not found", self.name, p.text())),
                Arg::Call(c) => c.eval(data, context),
            })
            .collect::<Result<Vec<_>, String>>()?;
        let fail = |what: &str| format!("{}: {what}", self.name);
        let str_arg = |i: usize| {
            args.get(i)
                .and_then(Value::as_str)
                .ok_or_else(|| fail(&format!("argument {} must be a string", i + 1)))
        };
        let int_arg = |i: usize| {
            args.get(i)
                .and_then(Value::as_i64)
                .ok_or_else(|| fail(&format!("argument {} must be an integer", i + 1)))
        };
        let arr_arg = |i: usize| {
            args.get(i)
                .and_then(Value::as_array)
                .ok_or_else(|| fail(&format!("argument {} must be an array", i + 1)))
        };
        Ok(match self.name.as_str() {
            "States.Format" => {
                let template = str_arg(0)?;
                let mut out = String::new();
                let mut values = args[1..].iter();
                let mut chars = template.chars().peekable();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => out.extend(chars.next()),
                        '{' if chars.peek() == Some(&'}') => {
                            chars.next();
                            match values
                                .next()
                                .ok_or_else(|| fail("more {} than arguments"))?
                            {
                                Value::String(s) => out.push_str(s),
                                v => out.push_str(&v.to_string()),
                            }
                        }
                        c => out.push(c),
                    }
                }
                if values.next().is_some() {
                    return Err(fail("more arguments than {}"));
                }
                Value::String(out)
            }
            "States.StringToJson" => {
                serde_json::from_str(str_arg(0)?).map_err(|e| fail(&e.to_string()))?
            }
            "States.JsonToString" => Value::String(
                args.first()
                    .ok_or_else(|| fail("needs an argument"))?
                    .to_string(),
            ),
            "States.Array" => Value::Array(args),
            "States.ArrayGetItem" => {
                let index = usize::try_from(int_arg(1)?).map_err(|_| fail("negative index"))?;
                arr_arg(0)?
                    .get(index)
                    .cloned()
                    .ok_or_else(|| fail("index out of range"))?
            }
            "States.ArrayLength" => Value::from(arr_arg(0)?.len()),
            // start, end (inclusive), step; Step Functions allows at most 1,000 items.
            "States.ArrayRange" => {
                let (start, end, step) = (int_arg(0)?, int_arg(1)?, int_arg(2)?);
                if step == 0 {
                    return Err(fail("the step must not be 0"));
                }
                let mut items = Vec::new();
                let mut i = start;
                while (step > 0 && i <= end) || (step < 0 && i >= end) {
                    items.push(Value::from(i));
                    if items.len() > 1000 {
                        return Err(fail("more than 1,000 items"));
                    }
                    i += step;
                }
                Value::Array(items)
            }
            "States.ArrayUnique" => {
                let mut seen = Vec::new();
                for v in arr_arg(0)? {
                    if !seen.contains(v) {
                        seen.push(v.clone());
                    }
                }
                Value::Array(seen)
            }
            "States.StringSplit" => {
                let (s, sep) = (str_arg(0)?, str_arg(1)?);
                Value::Array(
                    s.split(|c| sep.contains(c))
                        .filter(|p| !p.is_empty())
                        .map(|p| Value::String(p.into()))
                        .collect(),
                )
            }
            "States.MathAdd" => Value::from(
                int_arg(0)?
                    .checked_add(int_arg(1)?)
                    .ok_or_else(|| fail("overflow"))?,
            ),
            other => return Err(format!("unsupported intrinsic {other}")),
        })
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn err(&self, what: &str) -> String {
        format!("intrinsic {:?}: {what} at offset {}", self.text, self.i)
    }

    fn call(&mut self) -> Result<Call, String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'.')
        {
            self.i += 1;
        }
        let name = self.text[start..self.i].to_string();
        if !SUPPORTED.contains(&name.as_str()) {
            return Err(format!(
                "unsupported intrinsic function {name:?}; supported: {}",
                SUPPORTED.join(", ")
            ));
        }
        self.ws();
        if self.s.get(self.i) != Some(&b'(') {
            return Err(self.err("expected ("));
        }
        self.i += 1;
        let mut args = Vec::new();
        loop {
            self.ws();
            if self.s.get(self.i) == Some(&b')') {
                self.i += 1;
                break;
            }
            if !args.is_empty() {
                if self.s.get(self.i) != Some(&b',') {
                    return Err(self.err("expected , or )"));
                }
                self.i += 1;
                self.ws();
            }
            args.push(self.arg()?);
        }
        Ok(Call { name, args })
    }

    fn arg(&mut self) -> Result<Arg, String> {
        match self.s.get(self.i) {
            Some(b'\'') => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    match self.s.get(self.i) {
                        None => return Err(self.err("unterminated string")),
                        Some(b'\\') => {
                            // Keep the escape for States.Format's own \{ \} handling; unescape quotes.
                            let next = *self
                                .s
                                .get(self.i + 1)
                                .ok_or_else(|| self.err("dangling \\"))?;
                            if next != b'\'' {
                                out.push('\\');
                            }
                            out.push(next as char);
                            self.i += 2;
                        }
                        Some(b'\'') => {
                            self.i += 1;
                            break;
                        }
                        Some(_) => {
                            let ch = self.text[self.i..].chars().next().unwrap();
                            out.push(ch);
                            self.i += ch.len_utf8();
                        }
                    }
                }
                Ok(Arg::Literal(Value::String(out)))
            }
            Some(b'$') => {
                // A path ends at a comma, a closing parenthesis or a space outside brackets and
                // quotes (a filter `[?(@.s == 'x')]` has all three inside).
                let start = self.i;
                let (mut depth, mut quoted) = (0usize, false);
                while self.i < self.s.len() {
                    let c = self.s[self.i];
                    match c {
                        b'\'' if depth > 0 => quoted = !quoted,
                        b'[' if !quoted => depth += 1,
                        b']' if !quoted => depth = depth.saturating_sub(1),
                        b',' | b')' if depth == 0 => break,
                        c if c.is_ascii_whitespace() && depth == 0 => break,
                        _ => {}
                    }
                    self.i += 1;
                }
                Ok(Arg::Path(Path::parse(&self.text[start..self.i])?))
            }
            Some(b'S') => Ok(Arg::Call(self.call()?)),
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'.')
                {
                    self.i += 1;
                }
                let n: serde_json::Number = self.text[start..self.i]
                    .parse()
                    .map_err(|_| self.err("bad number"))?;
                Ok(Arg::Literal(Value::Number(n)))
            }
            _ => match &self.text[self.i..] {
                t if t.starts_with("true") => {
                    self.i += 4;
                    Ok(Arg::Literal(Value::Bool(true)))
                }
                t if t.starts_with("false") => {
                    self.i += 5;
                    Ok(Arg::Literal(Value::Bool(false)))
                }
                t if t.starts_with("null") => {
                    self.i += 4;
                    Ok(Arg::Literal(Value::Null))
                }
                _ => Err(self.err("expected an argument")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expr: &str, data: Value) -> Result<Value, String> {
        Call::parse(expr)?.eval(
            &data,
            &json!({"Execution": {"StartTime": "2026-11-25T17:40:24.123Z"}}),
        )
    }

    #[test]
    fn evaluates_the_supported_functions() {
        assert_eq!(
            eval(
                "States.ArrayGetItem(States.StringSplit($$.Execution.StartTime, 'T'), 0)",
                json!({})
            )
            .unwrap(),
            json!("2026-11-25")
        );
        assert_eq!(
            eval(
                "States.Format('{}/{}/', $.a, $.b)",
                json!({"a": "x", "b": 2})
            )
            .unwrap(),
            json!("x/2/")
        );
        assert_eq!(
            eval("States.StringToJson($.s)", json!({"s": "[\"a\"]"})).unwrap(),
            json!(["a"])
        );
        assert_eq!(
            eval("States.JsonToString($.o)", json!({"o": {"k": 1}})).unwrap(),
            json!("{\"k\":1}")
        );
        assert_eq!(
            eval(
                "States.ArrayRange(0, States.MathAdd($.n, -1), 1)",
                json!({"n": 3})
            )
            .unwrap(),
            json!([0, 1, 2])
        );
        assert!(eval("States.ArrayRange(0, 2000, 1)", json!({})).is_err());
        assert_eq!(
            eval(
                "States.ArrayLength($.r[?(@.s == 'created')])",
                json!({"r": [{"s": "created"}, {"s": "exists"}, {"s": "created"}]})
            )
            .unwrap(),
            json!(2)
        );
        assert_eq!(
            eval("States.MathAdd($.n, 1)", json!({"n": 2})).unwrap(),
            json!(3)
        );
        assert_eq!(
            eval(
                "States.ArrayLength(States.Array(1, 'x', $.n))",
                json!({"n": 2})
            )
            .unwrap(),
            json!(3)
        );
        assert_eq!(
            eval("States.ArrayUnique($.a)", json!({"a": ["x", "y", "x"]})).unwrap(),
            json!(["x", "y"])
        );
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert!(Call::parse("States.Hash($.a, 'SHA-256')")
            .unwrap_err()
            .contains("unsupported"));
        assert!(Call::parse("States.Format('x'").is_err());
        assert!(eval("States.StringToJson($.missing)", json!({}))
            .unwrap_err()
            .contains("not found"));
    }
}
