//! Array / Object / Map / Any values (spec 3.5), checked and converted cell by cell and written
//! back as JSON text. JSON numbers arrive as Python int (int64) or float (float64), so the
//! element-level rules are MLflow's strict ones; these cases are matched, not relaxed.

use crate::frame::NameIndex;
use crate::json::Value;
use crate::jsonout::{py_type, show, write_f64, write_str, write_value};
use crate::problems::Failure;
use crate::schema::{Scalar, Ty};

/// What pandas infers for a list turned into a Series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeriesDtype {
    Int64,
    Float64,
    Bool,
    Object,
}

impl SeriesDtype {
    fn name(self) -> &'static str {
        match self {
            SeriesDtype::Int64 => "int64",
            SeriesDtype::Float64 => "float64",
            SeriesDtype::Bool => "bool",
            SeriesDtype::Object => "object",
        }
    }
}

fn infer(items: &[&Value]) -> SeriesDtype {
    let (mut ints, mut floats, mut bools, mut nulls, mut other) = (0, 0, 0, 0, 0);
    for v in items {
        match v {
            Value::Number(n) if n.is_integer && n.as_i64().is_some() => ints += 1,
            Value::Number(n) if !n.is_integer => floats += 1,
            Value::Bool(_) => bools += 1,
            Value::Null => nulls += 1,
            _ => other += 1,
        }
    }
    let numbers = ints + floats;
    if other > 0 || (bools > 0 && numbers + nulls > 0) {
        SeriesDtype::Object
    } else if bools > 0 {
        SeriesDtype::Bool
    } else if numbers == 0 {
        SeriesDtype::Object
    } else if floats == 0 && nulls == 0 {
        SeriesDtype::Int64
    } else {
        SeriesDtype::Float64
    }
}

fn bad(msg: String) -> Failure {
    Failure::bad(msg)
}

fn incompatible(from: &str, t: Scalar, hint: bool) -> Failure {
    let mut m = format!(
        "Incompatible input types. Can not safely convert {} to {}.",
        from,
        t.numpy()
    );
    if hint {
        m.push_str(" Hint: the type mismatch is likely caused by missing values. Integer columns in python can not represent missing values and are therefore encoded as floats.");
    }
    bad(m)
}

fn twice_converted() -> Failure {
    Failure::invalid(
        "Incompatible input types. Can not safely convert int64 to datetime64[ns]. (MLflow converts datetimes inside Array and Object types twice, so they can never be satisfied over HTTP.)",
    )
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64(),
        _ => f64::NAN,
    }
}

/// MLflow's column rules (spec 3.4) applied to a list as one Series; writes the converted list.
fn series(items: &[&Value], t: Scalar, out: &mut String) -> Result<(), Failure> {
    let sd = infer(items);
    let write_all = |out: &mut String, f: &dyn Fn(&mut String, &Value)| {
        out.push('[');
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            f(out, v);
        }
        out.push(']');
    };
    match (sd, t) {
        (SeriesDtype::Object, Scalar::String | Scalar::Binary | Scalar::Boolean) => {
            write_all(out, &|o, v| write_value(o, v));
            Ok(())
        }
        (SeriesDtype::Object, Scalar::Double) => {
            // pandas.to_numeric: numeric strings become numbers; anything else fails.
            for v in items {
                let ok = match v {
                    Value::String(s) => crate::cells::float_from_text(s).is_some(),
                    Value::Number(_) | Value::Null | Value::Bool(_) => true,
                    _ => false,
                };
                if !ok {
                    return Err(bad(format!(
                        "Failed to convert {} from type object to DataType.double.",
                        show(v)
                    )));
                }
            }
            write_all(out, &|o, v| match v {
                Value::String(s) => {
                    write_f64(o, crate::cells::float_from_text(s).unwrap_or(f64::NAN))
                }
                Value::Bool(b) => o.push_str(if *b { "1.0" } else { "0.0" }),
                _ => write_f64(o, number(v)),
            });
            Ok(())
        }
        (SeriesDtype::Object, Scalar::Datetime) => {
            for v in items {
                if let Value::String(s) = v {
                    if crate::datetime::parse(s).is_err() {
                        return Err(bad(format!(
                            "Failed to convert {} from type object to DataType.datetime.",
                            show(v)
                        )));
                    }
                } else if !matches!(v, Value::Null) {
                    return Err(incompatible("object", t, false));
                }
            }
            Err(twice_converted())
        }
        (SeriesDtype::Int64, Scalar::Long) | (SeriesDtype::Bool, Scalar::Boolean) => {
            write_all(out, &|o, v| write_value(o, v));
            Ok(())
        }
        (SeriesDtype::Float64, Scalar::Double) => {
            write_all(out, &|o, v| write_f64(o, number(v)));
            Ok(())
        }
        (SeriesDtype::Int64, Scalar::Double | Scalar::Float) => {
            // Spec 3.4 rule 10: int64 passes for float/double only when every value is 0 or 1.
            // Float32 as a target is reached only through this rule.
            if items
                .iter()
                .all(|v| matches!(number(v), x if x == 0.0 || x == 1.0))
            {
                write_all(out, &|o, v| write_f64(o, number(v)));
                Ok(())
            } else {
                Err(incompatible("int64", t, false))
            }
        }
        (SeriesDtype::Float64, Scalar::Integer | Scalar::Long) => {
            let has_nan = items.iter().any(|v| number(v).is_nan());
            let integral = items.iter().all(|v| {
                matches!(v, Value::Null) || {
                    let x = number(v);
                    x.is_nan() || x.fract() == 0.0
                }
            });
            Err(incompatible("float64", t, has_nan && integral))
        }
        (sd, t) => Err(incompatible(sd.name(), t, false)),
    }
}

/// MLflow's in-process column rules (spec 3.4) for a top-level scalar column whose values were
/// not cast first (chat payloads reach `predict` as a plain dict): `Ok` when MLflow accepts
/// the column. Failures are enforcement errors (`INVALID_PARAMETER_VALUE`).
pub fn column_accepts(items: &[&Value], t: Scalar) -> Result<(), Failure> {
    if items.is_empty() {
        return Ok(());
    }
    let mut scratch = String::new();
    match series(items, t, &mut scratch) {
        Ok(()) => Ok(()),
        // Top-level datetime columns are converted once, so parseable text passes.
        Err(f)
            if t == Scalar::Datetime && f.code == crate::problems::Code::InvalidParameterValue =>
        {
            Ok(())
        }
        Err(f) => Err(Failure::invalid(f.message)),
    }
}

/// A scalar inside an Object property or a Map value (`_enforce_datatype`).
fn scalar_in(v: &Value, t: Scalar, required: bool, out: &mut String) -> Result<(), String> {
    let missing = matches!(v, Value::Null) || matches!(v, Value::Number(n) if n.text == "NaN");
    if missing && !required {
        out.push_str("null");
        return Ok(());
    }
    if missing {
        return Err("received type NoneType".into());
    }
    if let Value::Array(_) | Value::Object(_) = v {
        return Err(format!(
            "Expected data to be scalar, got {}",
            if matches!(v, Value::Array(_)) {
                "list"
            } else {
                "dict"
            }
        ));
    }
    let one = [v];
    let mut tmp = String::new();
    series(&one, t, &mut tmp).map_err(|f| f.message)?;
    // `series` wrote a one-element list: unwrap it.
    out.push_str(tmp.get(1..tmp.len().saturating_sub(1)).unwrap_or("null"));
    Ok(())
}

/// Checks one cell against a complex (or Any) type and writes its converted JSON.
pub fn enforce(v: &Value, ty: &Ty, required: bool, out: &mut String) -> Result<(), Failure> {
    match ty {
        Ty::Any => {
            write_value(out, v);
            Ok(())
        }
        Ty::Scalar(t) => scalar_in(v, *t, required, out).map_err(|m| {
            bad(format!(
                "Failed to enforce schema of data {} with dtype `{}`: {}",
                show(v),
                t.name(),
                m
            ))
        }),
        Ty::Array(item) => {
            let items = match v {
                Value::Array(items) => items,
                Value::Null if !required || **item == Ty::Any => {
                    out.push_str("null");
                    return Ok(());
                }
                _ => {
                    return Err(bad(format!(
                        "Expected data to be list or numpy array, got {}",
                        py_type(v)
                    )))
                }
            };
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            match &**item {
                Ty::Scalar(t) => {
                    let refs: Vec<&Value> = items.iter().collect();
                    series(&refs, *t, out)
                }
                inner => {
                    out.push('[');
                    for (i, x) in items.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        enforce(x, inner, required, out)?;
                    }
                    out.push(']');
                    Ok(())
                }
            }
        }
        Ty::Object(props) => {
            let members = match v {
                Value::Object(m) => m,
                Value::Null if !required => {
                    out.push_str("null");
                    return Ok(());
                }
                _ => {
                    return Err(bad(format!(
                        "Failed to enforce schema of {} with type '{}'. Expected data to be dictionary, got {}",
                        show(v),
                        ty.describe(),
                        py_type(v)
                    )))
                }
            };
            if members.is_empty() && !required {
                out.push_str("{}");
                return Ok(());
            }
            // Sorted indexes: no cost quadratic in the number of keys a value carries.
            let keys = NameIndex::new(members.iter().map(|(k, _)| k.as_ref()));
            let by_prop = NameIndex::new(props.iter().map(|p| p.name.as_str()));
            let missing: Vec<String> = props
                .iter()
                .filter(|p| p.required && keys.find(&p.name).is_none())
                .map(|p| format!("'{}'", p.name))
                .collect();
            if !missing.is_empty() {
                return Err(bad(format!(
                    "Missing required properties: {{{}}}",
                    missing.join(", ")
                )));
            }
            let extra: Vec<String> = members
                .iter()
                .filter(|(k, _)| by_prop.find(k).is_none())
                .map(|(k, _)| format!("'{}'", k))
                .collect();
            if !extra.is_empty() {
                return Err(bad(format!(
                    "Invalid properties not defined in the schema found: {{{}}}",
                    extra.join(", ")
                )));
            }
            out.push('{');
            for (i, (k, x)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                let p = match by_prop.find(k) {
                    Some(j) => &props[j],
                    None => continue,
                };
                match &p.ty {
                    Ty::Scalar(t) => {
                        if *t == Scalar::Datetime && !matches!(x, Value::Null) {
                            return Err(twice_converted());
                        }
                        scalar_in(x, *t, p.required, out).map_err(|_| {
                            bad(format!(
                                "Failed to enforce schema for key `{}`. Expected type {}, received type {}",
                                k,
                                t.name(),
                                py_type(x)
                            ))
                        })?
                    }
                    inner => enforce(x, inner, p.required, out)?,
                }
            }
            out.push('}');
            Ok(())
        }
        Ty::Map(vt) => {
            let members = match v {
                Value::Object(m) => m,
                Value::Null if !required || **vt == Ty::Any => {
                    out.push_str("null");
                    return Ok(());
                }
                _ => {
                    return Err(bad(format!(
                        "Expected data to be a dict, got {}",
                        py_type(v)
                    )))
                }
            };
            out.push('{');
            for (i, (k, x)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                enforce(x, vt, required, out)?;
            }
            out.push('}');
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Limits};
    use crate::schema::{parse_ty, Prop};

    fn run(value: &str, ty: &str, required: bool) -> Result<String, Failure> {
        let lim = Limits::default();
        let v = parse(value.as_bytes(), &lim).unwrap();
        let t = parse(ty.as_bytes(), &lim).unwrap();
        let ty = parse_ty(&t, "inputs").unwrap();
        let mut out = String::new();
        enforce(&v, &ty, required, &mut out).map(|_| out)
    }

    #[test]
    fn arrays_follow_series_rules() {
        let d = r#"{"type":"array","items":{"type":"double"}}"#;
        assert!(run("[1, 2]", d, true).is_err());
        assert_eq!(run("[0, 1]", d, true).unwrap(), "[0.0,1.0]");
        assert_eq!(run("[1.5, 2]", d, true).unwrap(), "[1.5,2.0]");
        let f = r#"{"type":"array","items":{"type":"float"}}"#;
        assert!(run("[1.5]", f, true).is_err());
        let l = r#"{"type":"array","items":{"type":"long"}}"#;
        assert_eq!(run("[1, 2]", l, true).unwrap(), "[1,2]");
        assert!(run("[1, \"x\"]", l, true)
            .unwrap_err()
            .message
            .contains("object to int64"));
        assert!(run("[1, null]", l, true)
            .unwrap_err()
            .message
            .contains("Hint"));
        assert_eq!(run("[]", l, true).unwrap(), "[]");
        assert!(run("\"x\"", l, true)
            .unwrap_err()
            .message
            .contains("got str"));
        let dt = r#"{"type":"array","items":{"type":"datetime"}}"#;
        assert_eq!(
            run("[\"2024-01-01\"]", dt, true).unwrap_err().code,
            crate::problems::Code::InvalidParameterValue
        );
    }

    #[test]
    fn objects_and_maps() {
        let o = r#"{"type":"object","properties":{"p":{"type":"double","required":true}}}"#;
        assert_eq!(run(r#"{"p": 1}"#, o, true).unwrap(), "{\"p\":1.0}");
        let oi = r#"{"type":"object","properties":{"p":{"type":"integer","required":true}}}"#;
        assert!(run(r#"{"p": 1}"#, oi, true)
            .unwrap_err()
            .message
            .contains("Expected type integer, received type int"));
        let ob = r#"{"type":"object","properties":{"p":{"type":"binary","required":true}}}"#;
        assert_eq!(
            run(r#"{"p": "AQI="}"#, ob, true).unwrap(),
            "{\"p\":\"AQI=\"}"
        );
        let ol = r#"{"type":"object","properties":{"p":{"type":"long","required":true}}}"#;
        assert!(run(r#"{"p": null}"#, ol, true)
            .unwrap_err()
            .message
            .contains("received type NoneType"));
        assert!(run(r#"{"p": 1, "z": 1}"#, ol, true)
            .unwrap_err()
            .message
            .contains("{'z'}"));
        let m = r#"{"type":"map","values":{"type":"double"}}"#;
        assert!(run(r#"{"k": 5}"#, m, true)
            .unwrap_err()
            .message
            .contains("with dtype `double`"));
        let ml = r#"{"type":"map","values":{"type":"long"}}"#;
        assert_eq!(
            run(r#"{"a": 3, "b": 4}"#, ml, true).unwrap(),
            "{\"a\":3,\"b\":4}"
        );
        assert_eq!(run("{}", ml, true).unwrap(), "{}");
        let _ = Prop {
            name: String::new(),
            ty: Ty::Any,
            required: true,
        };
    }
}
