//! Params enforcement (spec 3.7): defaults filled in, explicit null kept, unknown names
//! dropped, values validated and converted (1 -> 1.0 for float), all failures in one message.

use crate::complex;
use crate::datetime;
use crate::frame::NameIndex;
use crate::json::Value;
use crate::jsonout::{python_float_repr, show, write_str, write_value};
use crate::param_rules::{self, Kind, Rule};
use crate::problems::Failure;
use crate::schema::{ParamSpec, Scalar, Ty};

fn class_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "<class 'NoneType'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_integer => "<class 'int'>",
        Value::Number(_) => "<class 'float'>",
        Value::String(_) => "<class 'str'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
    }
}

fn cannot(v: &Value, t: Scalar) -> String {
    format!(
        "Can not safely convert `{}` to `DataType.{}` for value `{}`",
        class_of(v),
        t.name(),
        show(v)
    )
}

/// Converts one scalar value; returns its JSON text.
fn scalar(v: &Value, t: Scalar) -> Result<String, String> {
    if let Value::Array(_) | Value::Object(_) = v {
        return Err(format!(
            "Value must be a scalar for type `DataType.{}`, got `{}`",
            t.name(),
            show(v)
        ));
    }
    match (t, v) {
        (Scalar::Datetime, Value::String(s)) => {
            return match datetime::parse(s) {
                Ok(p) if p.frac_digits > 6 => Err(format!(
                    "Failed to convert value to `DataType.datetime`. It must be convertible to datetime.date/datetime, got `{}`",
                    show(v)
                )),
                Ok(p) => {
                    let mut o = String::new();
                    write_str(&mut o, &datetime::isoformat(p.ns, !p.has_time));
                    Ok(o)
                }
                Err(_) => Err(format!(
                    "Failed to convert value `{}` from type `<class 'str'>` to `DataType.datetime`",
                    s
                )),
            }
        }
        (Scalar::Binary, _) => return Err("binary parameters are not supported".into()),
        _ => {}
    }
    // The other types follow the one table of parameter rules (src/mlmodel/param_rules.ts).
    let kind = match v {
        Value::Bool(_) => Kind::Bool,
        Value::Number(n) if n.is_integer => Kind::Int,
        Value::Number(_) => Kind::Float,
        Value::String(_) => Kind::Str,
        _ => return Err(cannot(v, t)),
    };
    if param_rules::rule(t, kind) == Rule::Refuse {
        return Err(cannot(v, t));
    }
    match v {
        Value::String(s) => {
            let mut o = String::new();
            write_str(&mut o, s);
            Ok(o)
        }
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) if matches!(t, Scalar::Integer | Scalar::Long) => match n.as_i64() {
            Some(x) => Ok(x.to_string()),
            None => Err(format!("{} does not fit in a 64-bit integer", n.text)),
        },
        Value::Number(n) => {
            let f = n.as_f64();
            if f.is_finite() {
                Ok(python_float_repr(f))
            } else {
                Err(format!(
                    "{} has no JSON form; non-finite parameter values are not supported",
                    n.text
                ))
            }
        }
        _ => Err(cannot(v, t)),
    }
}

/// Validates and converts a value for a ParamSpec; returns its JSON text.
pub fn convert(spec: &ParamSpec, v: &Value) -> Result<String, String> {
    let one = |x: &Value| -> Result<String, String> {
        match &spec.ty {
            Ty::Scalar(t) => scalar(x, *t),
            ty => {
                let mut scratch = String::new();
                complex::enforce(x, ty, true, &mut scratch).map_err(|f| f.message)?;
                // MLflow hands the model the original object, unconverted.
                let mut o = String::new();
                write_value(&mut o, x);
                Ok(o)
            }
        }
    };
    if !spec.list {
        return one(v);
    }
    let items =
        match v {
            Value::Array(items) => items,
            _ => {
                return Err(format!(
                "Value must be a 1D array with shape (-1,) for param '{}', received {} with ndim 0",
                spec.name,
                class_of(v).trim_start_matches("<class '").trim_end_matches("'>")
            ))
            }
        };
    if items.iter().any(|x| matches!(x, Value::Array(_))) {
        return Err(format!(
            "Value must be a 1D array with shape (-1,) for param '{}', received list with ndim 2",
            spec.name
        ));
    }
    let mut o = String::from("[");
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push_str(&one(x)?);
    }
    o.push(']');
    Ok(o)
}

fn type_text(spec: &ParamSpec) -> String {
    let mut t = match &spec.ty {
        Ty::Scalar(s) => s.name().to_string(),
        ty => ty.describe(),
    };
    t.push_str(&format!(" (default: {})", spec.default));
    if spec.list {
        t.push_str(" (shape: (-1,))");
    }
    t
}

/// The params the model receives, as JSON object text; `None` means no params at all.
pub fn enforce(
    specs: Option<&[ParamSpec]>,
    given: Option<&Value>,
) -> Result<Option<String>, Failure> {
    let given = match given {
        Some(Value::Null) | None => None,
        Some(v) => Some(v),
    };
    let specs = match specs {
        // No params schema: MLflow ignores what came (with a warning) and passes {}.
        None => return Ok(given.map(|_| "{}".to_string())),
        Some(s) => s,
    };
    let members: &[(std::borrow::Cow<str>, Value)] = match given {
        None => &[],
        Some(Value::Object(m)) => m,
        Some(v) => {
            return Err(Failure::invalid(format!(
                "Parameters must be a dictionary. Got type '{}'.",
                class_of(v)
                    .trim_start_matches("<class '")
                    .trim_end_matches("'>")
            )))
        }
    };
    let by_key = NameIndex::new(members.iter().map(|(k, _)| k.as_ref()));
    let mut out = String::from("{");
    let mut errors: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(&mut out, &spec.name);
        out.push(':');
        match by_key.find(&spec.name).map(|j| &members[j]) {
            None => out.push_str(&spec.default),
            Some((_, Value::Null)) => out.push_str("null"),
            Some((_, v)) => match convert(spec, v) {
                Ok(text) => out.push_str(&text),
                Err(reason) => {
                    out.push_str("null");
                    errors.push(format!(
                        "Failed to validate type and shape for '{}': {}, error: {}",
                        spec.name,
                        type_text(spec),
                        reason
                    ));
                }
            },
        }
    }
    out.push('}');
    if !errors.is_empty() {
        return Err(Failure::invalid(format!(
            "Invalid parameters found: {}",
            errors.join("; ")
        )));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Limits};
    use crate::schema::parse_params;

    const SCHEMA: &str = r#"[{"name": "s", "type": "string", "default": "a", "shape": null}, {"name": "i", "type": "integer", "default": 1, "shape": null}, {"name": "d", "type": "double", "default": 1.0, "shape": null}, {"name": "f", "type": "float", "default": 0.1, "shape": null}, {"name": "t", "type": "datetime", "default": "2023-06-26T00:00:00", "shape": null}, {"name": "arr", "type": "double", "default": [1.0, 2.0], "shape": [-1]}]"#;

    fn run(req: &str) -> Result<Option<String>, Failure> {
        let lim = Limits::default();
        let specs = parse_params(Some(SCHEMA), &lim).unwrap().unwrap();
        let v = parse(req.as_bytes(), &lim).unwrap();
        enforce(Some(&specs), Some(&v))
    }

    #[test]
    fn fills_defaults_and_converts() {
        assert_eq!(
            run(r#"{"d": 1, "f": 1, "t": "2023-07-01 12:00:00", "arr": [1, 2], "zzz": 5}"#)
                .unwrap()
                .unwrap(),
            r#"{"s":"a","i":1,"d":1.0,"f":1.0,"t":"2023-07-01T12:00:00","arr":[1.0,2.0]}"#
        );
        assert_eq!(
            run(r#"{"i": null}"#).unwrap().unwrap(),
            r#"{"s":"a","i":null,"d":1.0,"f":0.1,"t":"2023-06-26T00:00:00","arr":[1.0,2.0]}"#
        );
    }

    #[test]
    fn refuses_bad_values_together() {
        let f = run(r#"{"d": "x", "i": 1.0, "arr": [[1.0]]}"#).unwrap_err();
        assert!(
            f.message.contains("'d'") && f.message.contains("'i'") && f.message.contains("ndim 2"),
            "{}",
            f.message
        );
        assert!(run("[1]").unwrap_err().message.contains("Got type 'list'"));
    }

    #[test]
    fn no_schema_means_empty() {
        let lim = Limits::default();
        let v = parse(br#"{"a": 1}"#, &lim).unwrap();
        assert_eq!(enforce(None, Some(&v)).unwrap(), Some("{}".to_string()));
        assert_eq!(enforce(None, None).unwrap(), None);
    }
}
