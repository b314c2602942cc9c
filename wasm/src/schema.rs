//! Signatures compiled once: MLflow's schema JSON (spec section 2) into typed specs.

use crate::json::{self, Value};
use crate::problems::Failure;

/// MLflow's `DataType`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Boolean,
    Integer,
    Long,
    Float,
    Double,
    String,
    Binary,
    Datetime,
}

impl Scalar {
    pub fn from_name(s: &str) -> Option<Scalar> {
        Some(match s {
            "boolean" => Scalar::Boolean,
            "integer" => Scalar::Integer,
            "long" => Scalar::Long,
            "float" => Scalar::Float,
            "double" => Scalar::Double,
            "string" => Scalar::String,
            "binary" => Scalar::Binary,
            "datetime" => Scalar::Datetime,
            _ => return None,
        })
    }

    /// MLflow's name (`long`).
    pub fn name(self) -> &'static str {
        match self {
            Scalar::Boolean => "boolean",
            Scalar::Integer => "integer",
            Scalar::Long => "long",
            Scalar::Float => "float",
            Scalar::Double => "double",
            Scalar::String => "string",
            Scalar::Binary => "binary",
            Scalar::Datetime => "datetime",
        }
    }

    /// numpy's spelling as MLflow prints it in messages.
    pub fn numpy(self) -> &'static str {
        match self {
            Scalar::Boolean => "bool",
            Scalar::Integer => "int32",
            Scalar::Long => "int64",
            Scalar::Float => "float32",
            Scalar::Double => "float64",
            Scalar::String => "<U0",
            Scalar::Binary => "|S0",
            Scalar::Datetime => "datetime64[ns]",
        }
    }

    /// The dtype of the buffer written for a column of this type.
    pub fn dtype(self) -> DType {
        match self {
            Scalar::Boolean => DType::Bool,
            Scalar::Integer => DType::I32,
            Scalar::Long => DType::I64,
            Scalar::Float => DType::F32,
            Scalar::Double => DType::F64,
            Scalar::String => DType::Str,
            Scalar::Binary => DType::Bytes,
            Scalar::Datetime => DType::Datetime,
        }
    }
}

/// A column type: scalar or one of the complex types of spec section 2.4.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Scalar(Scalar),
    Array(Box<Ty>),
    Object(Vec<Prop>),
    Map(Box<Ty>),
    Any,
}

impl Ty {
    /// MLflow's repr, used in messages (`Array(string)`, `Map(str -> long)`).
    pub fn describe(&self) -> String {
        match self {
            Ty::Scalar(s) => s.name().to_string(),
            Ty::Array(t) => format!("Array({})", t.describe()),
            Ty::Map(t) => format!("Map(str -> {})", t.describe()),
            Ty::Any => "Any".to_string(),
            Ty::Object(props) => {
                let inner: Vec<String> = props
                    .iter()
                    .map(|p| {
                        format!(
                            "{}: {} ({})",
                            p.name,
                            p.ty.describe(),
                            if p.required { "required" } else { "optional" }
                        )
                    })
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }
}

/// A property of an Object type.
#[derive(Debug, Clone, PartialEq)]
pub struct Prop {
    pub name: String,
    pub ty: Ty,
    pub required: bool,
}

/// One column of a column-based schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ColSpec {
    pub name: Option<String>,
    pub ty: Ty,
    pub required: bool,
}

/// numpy dtypes a tensor (or a written buffer) can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F16,
    F32,
    F64,
    Str,
    Bytes,
    Datetime,
    Object,
}

impl DType {
    pub fn from_name(s: &str) -> Option<DType> {
        Some(match s {
            "bool" => DType::Bool,
            "int8" => DType::I8,
            "int16" => DType::I16,
            "int32" => DType::I32,
            "int64" => DType::I64,
            "uint8" => DType::U8,
            "uint16" => DType::U16,
            "uint32" => DType::U32,
            "uint64" => DType::U64,
            "float16" => DType::F16,
            "float32" => DType::F32,
            "float64" => DType::F64,
            "str" => DType::Str,
            "bytes" => DType::Bytes,
            "datetime64[ns]" => DType::Datetime,
            "object" => DType::Object,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::F16 => "float16",
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::Str => "str",
            DType::Bytes => "bytes",
            DType::Datetime => "datetime64[ns]",
            DType::Object => "object",
        }
    }

    /// The code the host reads (index into the host's dtype table).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// Integer range for integer dtypes.
    pub fn int_range(self) -> Option<(i128, i128)> {
        Some(match self {
            DType::I8 => (i8::MIN as i128, i8::MAX as i128),
            DType::I16 => (i16::MIN as i128, i16::MAX as i128),
            DType::I32 => (i32::MIN as i128, i32::MAX as i128),
            DType::I64 => (i64::MIN as i128, i64::MAX as i128),
            DType::U8 => (0, u8::MAX as i128),
            DType::U16 => (0, u16::MAX as i128),
            DType::U32 => (0, u32::MAX as i128),
            DType::U64 => (0, u64::MAX as i128),
            _ => return None,
        })
    }
}

/// One input of a tensor-based schema.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorSpec {
    pub name: Option<String>,
    pub dtype: DType,
    pub shape: Vec<i64>,
}

/// The input schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Inputs {
    /// The model has no input schema: parse, enforce nothing.
    None,
    Columns(Vec<ColSpec>),
    Tensors(Vec<TensorSpec>),
}

/// A parameter of the params schema; `default` is the validated default as JSON text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    pub name: String,
    pub ty: Ty,
    /// `shape: [-1]`: a 1-D list of `ty`.
    pub list: bool,
    pub default: String,
}

/// Python-style tuple text of a shape: `(-1, 4)`, `(4,)`, `()`.
pub fn shape_repr<T: std::fmt::Display>(shape: &[T]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

fn schema_err(what: &str, msg: impl Into<String>) -> Failure {
    Failure::invalid(format!(
        "Invalid {} schema in the signature: {}",
        what,
        msg.into()
    ))
}

/// Parses a complex or scalar type from its JSON (`{"type": ..., "items"/"properties"/"values"}`).
pub fn parse_ty(v: &Value, what: &str) -> Result<Ty, Failure> {
    let t = match v.get("type").and_then(|t| t.as_str()) {
        Some(t) => t,
        None => return Err(schema_err(what, "a type has no \"type\" string")),
    };
    if let Some(s) = Scalar::from_name(t) {
        return Ok(Ty::Scalar(s));
    }
    match t {
        "array" => match v.get("items") {
            Some(items) => Ok(Ty::Array(Box::new(parse_ty(items, what)?))),
            None => Err(schema_err(what, "an array type has no \"items\"")),
        },
        "map" => match v.get("values") {
            Some(values) => Ok(Ty::Map(Box::new(parse_ty(values, what)?))),
            None => Err(schema_err(what, "a map type has no \"values\"")),
        },
        "any" => Ok(Ty::Any),
        "sparkml_vector" => Ok(Ty::Array(Box::new(Ty::Scalar(Scalar::Double)))),
        "object" => match v.get("properties") {
            Some(Value::Object(members)) if !members.is_empty() => {
                let mut props = Vec::with_capacity(members.len());
                for (name, pv) in members {
                    let required = match pv.get("required") {
                        Some(Value::Bool(b)) => *b,
                        _ => true,
                    };
                    props.push(Prop { name: name.to_string(), ty: parse_ty(pv, what)?, required });
                }
                props.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(Ty::Object(props))
            }
            _ => Err(schema_err(what, "an object type needs a non-empty \"properties\" object")),
        },
        other => Err(schema_err(
            what,
            format!(
                "unsupported type \"{}\", expected one of boolean, integer, long, float, double, string, binary, datetime, array, object, map, any, tensor",
                other
            ),
        )),
    }
}

/// Compiles `signature.inputs` JSON text; `None` means the model has no input schema.
pub fn parse_inputs(text: Option<&str>, limits: &json::Limits) -> Result<Inputs, Failure> {
    let text = match text {
        Some(t) if !t.trim().is_empty() && t.trim() != "null" => t,
        _ => return Ok(Inputs::None),
    };
    let v = json::parse(text.as_bytes(), limits)
        .map_err(|e| schema_err("inputs", format!("not valid JSON ({})", e)))?;
    let items = match &v {
        Value::Array(items) if !items.is_empty() => items,
        Value::Array(_) => {
            return Err(schema_err(
                "inputs",
                "Creating Schema with empty inputs is not allowed.",
            ))
        }
        _ => return Err(schema_err("inputs", "expected a JSON array")),
    };
    let is_tensor = |x: &Value| x.get("type").and_then(|t| t.as_str()) == Some("tensor");
    let tensors = is_tensor(&items[0]);
    let named = items[0].get("name").is_some();
    for x in items.iter() {
        if is_tensor(x) != tensors {
            return Err(schema_err(
                "inputs",
                "combination of column and tensor specs is not supported",
            ));
        }
        if x.get("name").is_some() != named {
            return Err(schema_err(
                "inputs",
                "combination of named and unnamed inputs is not allowed",
            ));
        }
    }
    let name_of = |x: &Value| -> Result<Option<String>, Failure> {
        match x.get("name") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.to_string())),
            Some(_) => Err(schema_err("inputs", "a name must be a string")),
        }
    };
    if tensors {
        if items.len() > 1 && !named {
            return Err(schema_err(
                "inputs",
                "more than one tensor input requires names",
            ));
        }
        let mut specs = Vec::with_capacity(items.len());
        for x in items.iter() {
            let ts = match x.get("tensor-spec") {
                Some(ts) => ts,
                None => {
                    return Err(schema_err(
                        "inputs",
                        "a tensor input has no \"tensor-spec\"",
                    ))
                }
            };
            let dtype_name = ts.get("dtype").and_then(|d| d.as_str()).unwrap_or("");
            let dtype = match DType::from_name(dtype_name) {
                Some(d) => d,
                None => {
                    return Err(schema_err(
                        "inputs",
                        format!("unsupported tensor dtype \"{}\"", dtype_name),
                    ))
                }
            };
            let shape = match ts.get("shape") {
                Some(Value::Array(dims)) => {
                    let mut shape = Vec::with_capacity(dims.len());
                    for d in dims {
                        match d {
                            Value::Number(n) if n.is_integer => match n.as_i64() {
                                Some(k) if k >= -1 => shape.push(k),
                                _ => {
                                    return Err(schema_err(
                                        "inputs",
                                        "tensor dimensions must be -1 or non-negative",
                                    ))
                                }
                            },
                            _ => {
                                return Err(schema_err(
                                    "inputs",
                                    "tensor dimensions must be integers",
                                ))
                            }
                        }
                    }
                    shape
                }
                _ => return Err(schema_err("inputs", "a tensor input has no \"shape\" list")),
            };
            specs.push(TensorSpec {
                name: name_of(x)?,
                dtype,
                shape,
            });
        }
        return Ok(Inputs::Tensors(specs));
    }
    let mut specs = Vec::with_capacity(items.len());
    for x in items.iter() {
        let ty = parse_ty(x, "inputs")?;
        let complex = !matches!(ty, Ty::Scalar(_));
        // Spec 2.8: scalar columns without "required" are required; complex ones optional.
        let required = match x.get("required") {
            Some(Value::Bool(b)) => *b,
            _ => !complex,
        };
        let name = name_of(x)?;
        if name.is_none() && !required && !complex {
            return Err(schema_err("inputs", "unnamed inputs cannot be optional"));
        }
        specs.push(ColSpec { name, ty, required });
    }
    Ok(Inputs::Columns(specs))
}

/// Compiles `signature.params` JSON text (defaults validated and converted).
pub fn parse_params(
    text: Option<&str>,
    limits: &json::Limits,
) -> Result<Option<Vec<ParamSpec>>, Failure> {
    let text = match text {
        Some(t) if !t.trim().is_empty() && t.trim() != "null" => t,
        _ => return Ok(None),
    };
    let v = json::parse(text.as_bytes(), limits)
        .map_err(|e| schema_err("params", format!("not valid JSON ({})", e)))?;
    let items = match &v {
        Value::Array(items) => items,
        _ => return Err(schema_err("params", "expected a JSON array")),
    };
    let mut specs: Vec<ParamSpec> = Vec::with_capacity(items.len());
    for x in items {
        let name = match x.get("name").and_then(|n| n.as_str()) {
            Some(n) => n.to_string(),
            None => return Err(schema_err("params", "a parameter has no name")),
        };
        // MLflow's ParamSpec.from_json_dict: `default` must be present (null is a valid default).
        if x.get("default").is_none() {
            return Err(schema_err(
                "params",
                format!(
                    "Missing keys in ParamSpec JSON. Expected to find keys `name`, `type`(or \
                     `dtype`) and `default`; parameter \"{}\" has no `default`",
                    name
                ),
            ));
        }
        if specs.iter().any(|s| s.name == name) {
            return Err(schema_err(
                "params",
                format!("Duplicated parameters found in schema: ['{}']", name),
            ));
        }
        let type_name = x
            .get("type")
            .or_else(|| x.get("dtype"))
            .and_then(|t| t.as_str())
            .unwrap_or("");
        let ty = if type_name == "object" {
            parse_ty(x, "params")?
        } else {
            match Scalar::from_name(type_name) {
                Some(Scalar::Binary) => {
                    return Err(schema_err(
                        "params",
                        format!(
                            "ParamSpec '{}' has dtype 'binary', which is not supported",
                            name
                        ),
                    ))
                }
                Some(s) => Ty::Scalar(s),
                None => {
                    return Err(schema_err(
                        "params",
                        format!(
                            "parameter \"{}\" has unsupported type \"{}\"",
                            name, type_name
                        ),
                    ))
                }
            }
        };
        let list = match x.get("shape") {
            None | Some(Value::Null) => false,
            Some(Value::Array(d))
                if d.len() == 1 && matches!(&d[0], Value::Number(n) if n.text == "-1") =>
            {
                true
            }
            Some(_) => {
                return Err(schema_err(
                    "params",
                    format!(
                        "parameter \"{}\" has an unsupported shape; only null and [-1] are allowed",
                        name
                    ),
                ))
            }
        };
        let mut spec = ParamSpec {
            name,
            ty,
            list,
            default: "null".to_string(),
        };
        let default = x.get("default").cloned().unwrap_or(Value::Null);
        if !matches!(default, Value::Null) {
            match crate::params::convert(&spec, &default) {
                Ok(text) => spec.default = text,
                Err(reason) => {
                    return Err(schema_err(
                        "params",
                        format!("the default of \"{}\" is invalid: {}", spec.name, reason),
                    ))
                }
            }
        }
        specs.push(spec);
    }
    Ok(Some(specs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lim() -> json::Limits {
        json::Limits::default()
    }

    #[test]
    fn a_param_spec_needs_a_default_key_which_may_be_null() {
        let missing = parse_params(
            Some(r#"[{"name": "a", "type": "long", "shape": null}]"#),
            &lim(),
        );
        let e = missing.unwrap_err();
        assert!(
            e.message.contains("Missing keys in ParamSpec JSON"),
            "{}",
            e.message
        );
        let null = parse_params(
            Some(r#"[{"name": "a", "type": "long", "default": null, "shape": null}]"#),
            &lim(),
        );
        assert_eq!(null.unwrap().unwrap()[0].default, "null");
    }

    #[test]
    fn parses_columns_with_required_defaults() {
        let s = parse_inputs(
            Some(r#"[{"type": "long", "name": "a"}, {"type": "array", "items": {"type": "string"}, "name": "b"}]"#),
            &lim(),
        )
        .unwrap();
        match s {
            Inputs::Columns(c) => {
                assert!(c[0].required);
                assert!(!c[1].required);
                assert_eq!(c[1].ty, Ty::Array(Box::new(Ty::Scalar(Scalar::String))));
            }
            _ => panic!(),
        }
    }

    #[test]
    fn parses_tensors() {
        let s = parse_inputs(
            Some(r#"[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 28, 28, 1]}}]"#),
            &lim(),
        )
        .unwrap();
        assert_eq!(
            s,
            Inputs::Tensors(vec![TensorSpec {
                name: None,
                dtype: DType::U8,
                shape: vec![-1, 28, 28, 1]
            }])
        );
    }

    #[test]
    fn refuses_mixed_names() {
        assert!(parse_inputs(
            Some(r#"[{"type": "long", "name": "a"}, {"type": "long"}]"#),
            &lim()
        )
        .is_err());
        assert!(parse_inputs(Some("[]"), &lim()).is_err());
        assert!(parse_inputs(Some(r#"[{"type": "int"}]"#), &lim()).is_err());
    }

    #[test]
    fn shape_repr_is_python_tuple() {
        assert_eq!(shape_repr(&[-1i64, 4]), "(-1, 4)");
        assert_eq!(shape_repr(&[4usize]), "(4,)");
        assert_eq!(shape_repr::<i64>(&[]), "()");
    }
}
