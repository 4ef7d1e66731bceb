//! Result values as text, the way Athena's GetQueryResults hands them out (the ports' contract):
//! NULL is `None`; strings, dates, timestamps and decimals as Trino prints them; numbers and
//! booleans in their plain form; arrays as `[a, b]`, maps as `{k=v}`, rows as `{f=v}` by field order.

use serde_json::Value;

/// One value of a result row as text, `None` for NULL.
pub fn athena_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => Some(format!(
            "[{}]",
            items
                .iter()
                .map(|v| athena_text(v).unwrap_or_else(|| "null".into()))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Value::Object(entries) => Some(format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{k}={}", athena_text(v).unwrap_or_else(|| "null".into())))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_read_as_athena_prints_them() {
        assert_eq!(athena_text(&json!(null)), None);
        assert_eq!(athena_text(&json!("C1")).as_deref(), Some("C1"));
        assert_eq!(athena_text(&json!(42)).as_deref(), Some("42"));
        assert_eq!(athena_text(&json!(2.5)).as_deref(), Some("2.5"));
        // Doubles are read from the protocol exactly (serde_json's float_roundtrip): the fast
        // parser's last-digit error printed 86/466 as 0.184549356223176.
        let double: Value = serde_json::from_str("0.18454935622317598").unwrap();
        assert_eq!(athena_text(&double).as_deref(), Some("0.18454935622317598"));
        assert_eq!(athena_text(&json!(true)).as_deref(), Some("true"));
        assert_eq!(
            athena_text(&json!("2026-11-20 10:00:00.000")).as_deref(),
            Some("2026-11-20 10:00:00.000")
        );
        assert_eq!(
            athena_text(&json!(["SMS", "EMAIL"])).as_deref(),
            Some("[SMS, EMAIL]")
        );
        assert_eq!(
            athena_text(&json!(["SMS", null])).as_deref(),
            Some("[SMS, null]")
        );
    }
}
