//! Tensors: nested JSON lists to flat row-major buffers with numpy's rules (uniform nesting,
//! `numpy.array(v, dtype)` casts under lossless-or-loud), then the shape check of spec 3.6.

use crate::cells::{self, Locate, Path};
use crate::frame::{Frame, Label};
use crate::json::Value;
use crate::output::Entry;
use crate::problems::{Code, Failure, Problems};
use crate::schema::{shape_repr, DType, TensorSpec};

fn ragged(depth: usize) -> Failure {
    Failure::bad(format!(
        "Invalid input. setting an array element with a sequence. The requested array has an inhomogeneous shape after {} dimensions.",
        depth
    ))
}

/// The shape numpy would give `v` (by its first elements), checked while collecting the leaves.
fn walk<'v, 'a>(
    v: &'v Value<'a>,
    depth: usize,
    shape: &[usize],
    leaves: &mut Vec<&'v Value<'a>>,
) -> Result<(), Failure> {
    match v {
        Value::Array(items) => {
            if depth >= shape.len() || items.len() != shape[depth] {
                return Err(ragged(depth.min(shape.len())));
            }
            for x in items {
                walk(x, depth + 1, shape, leaves)?;
            }
            Ok(())
        }
        leaf => {
            if depth != shape.len() {
                return Err(ragged(depth));
            }
            leaves.push(leaf);
            Ok(())
        }
    }
}

fn probe(v: &Value, shape: &mut Vec<usize>) {
    let mut cur = v;
    while let Value::Array(items) = cur {
        shape.push(items.len());
        match items.first() {
            Some(first) => cur = first,
            None => break,
        }
    }
}

/// Flattens one value: its shape and leaves in row-major order.
pub fn flatten<'v, 'a>(
    v: &'v Value<'a>,
    max: usize,
) -> Result<(Vec<usize>, Vec<&'v Value<'a>>), Failure> {
    let mut shape = Vec::new();
    probe(v, &mut shape);
    check_product(&shape, max)?;
    let mut leaves = Vec::with_capacity(shape.iter().product::<usize>().max(1));
    walk(v, 0, &shape, &mut leaves)?;
    Ok((shape, leaves))
}

/// Stacks several values along a new first axis (instances rows, DataFrame list cells).
pub fn stack<'v, 'a>(
    vs: &[&'v Value<'a>],
    max: usize,
) -> Result<(Vec<usize>, Vec<&'v Value<'a>>), Failure> {
    let mut inner = Vec::new();
    if let Some(first) = vs.first() {
        probe(first, &mut inner);
    }
    let mut shape = vec![vs.len()];
    shape.extend_from_slice(&inner);
    check_product(&shape, max)?;
    let mut leaves = Vec::with_capacity(shape.iter().product::<usize>().max(1));
    for v in vs {
        walk(v, 0, &inner, &mut leaves).map_err(|_| ragged(1))?;
    }
    Ok((shape, leaves))
}

fn check_product(shape: &[usize], max: usize) -> Result<(), Failure> {
    let mut p: usize = 1;
    for d in shape {
        p = match p.checked_mul(*d) {
            Some(x) if x <= max => x,
            _ => {
                return Err(Failure::bad(format!(
                    "Invalid input. A tensor of shape {} has more than {} elements",
                    shape_repr(shape),
                    max
                )))
            }
        };
    }
    Ok(())
}

struct TensorLoc<'s> {
    name: Option<&'s str>,
    shape: &'s [usize],
}

impl<'s> Locate for TensorLoc<'s> {
    fn at(&self, i: usize) -> String {
        let mut idx = vec![0usize; self.shape.len()];
        let mut rest = i;
        for (k, d) in self.shape.iter().enumerate().rev() {
            if *d > 0 {
                idx[k] = rest % d;
                rest /= d;
            }
        }
        let idx: Vec<String> = idx.iter().map(|x| x.to_string()).collect();
        match self.name {
            Some(n) => format!(
                "in tensor {} at index [{}]",
                crate::jsonout::show_str(n),
                idx.join(", ")
            ),
            None => format!("in the input tensor at index [{}]", idx.join(", ")),
        }
    }
}

/// Converts flat leaves to the spec dtype; `None` when a cast failed (reported).
pub fn build(
    name: Option<&str>,
    dtype: DType,
    shape: Vec<usize>,
    leaves: &[&Value],
    path: Path,
    problems: &mut Problems,
) -> Entry {
    let loc = TensorLoc {
        name,
        shape: &shape,
    };
    let (data, dtype) = cells::convert(leaves, dtype, path, &loc, dtype.name(), problems);
    Entry {
        spec: None,
        name: name.map(|s| s.to_string()),
        dtype,
        shape,
        data,
    }
}

/// The shape check of spec 3.6 (rank, then every fixed axis).
pub fn check_shape(spec: &TensorSpec, shape: &[usize], problems: &mut Problems) {
    if spec.dtype == DType::Object && spec.shape == [-1] {
        return;
    }
    let ok = spec.shape.len() == shape.len()
        && spec
            .shape
            .iter()
            .zip(shape.iter())
            .all(|(s, d)| *s == -1 || *s == *d as i64);
    if !ok {
        let who = match &spec.name {
            Some(n) => format!(" for input '{}'", n),
            None => String::new(),
        };
        problems.push(
            Code::InvalidParameterValue,
            format!(
                "Shape of input {} does not match expected shape {}{}.",
                shape_repr(shape),
                shape_repr(&spec.shape),
                who
            ),
        );
    }
}

/// One tensor from a JSON value (`inputs`, `instances`): numpy's cast, then the shape check.
pub fn from_value(
    spec: &TensorSpec,
    v: &Value,
    max: usize,
    problems: &mut Problems,
) -> Option<Entry> {
    entry(spec, flatten(v, max), problems)
}

/// Named tensors from `instances` records: each name stacked along the rows.
pub fn from_records(
    spec: &TensorSpec,
    records: &[Value],
    max: usize,
    problems: &mut Problems,
) -> Option<Entry> {
    let name = spec.name.as_deref().unwrap_or("");
    let mut vs = Vec::with_capacity(records.len());
    for r in records {
        match r.get(name) {
            Some(v) => vs.push(v),
            None => {
                problems.push(Code::BadRequest, "Invalid input. The length of values for each input/column name are not the same".into());
                return None;
            }
        }
    }
    entry(spec, stack(&vs, max), problems)
}

/// The tensor for `spec` from flattened leaves (numpy's casts), its shape checked against the
/// spec; `None` with the failure recorded when the input could not be flattened.
fn entry(
    spec: &TensorSpec,
    flat: Result<(Vec<usize>, Vec<&Value>), Failure>,
    problems: &mut Problems,
) -> Option<Entry> {
    let (shape, leaves) = match flat {
        Ok(x) => x,
        Err(f) => {
            problems.add(f);
            return None;
        }
    };
    let e = build(
        spec.name.as_deref(),
        spec.dtype,
        shape,
        &leaves,
        Path::Numpy,
        problems,
    );
    check_shape(spec, &e.shape, problems);
    Some(e)
}

fn label_name(l: &Label) -> String {
    l.text()
}

/// One DataFrame column as a tensor (spec 3.6, named/1-column DataFrame rules).
fn column_tensor(
    spec: &TensorSpec,
    label: &Label,
    cells: &[&Value],
    max: usize,
    problems: &mut Problems,
) -> Option<Entry> {
    let name = spec.name.clone().unwrap_or_else(|| label_name(label));
    let fixed = spec.shape.first() == Some(&-1) && spec.shape.iter().skip(1).all(|d| *d != -1);
    if !fixed {
        problems.push(Code::InvalidParameterValue, format!(
            "For pandas dataframe input, the first dimension of shape must be a variable dimension and other dimensions must be fixed, but in model signature the shape of input {} is {}.",
            name, shape_repr(&spec.shape)
        ));
        return None;
    }
    let rows = cells.len();
    let lists = cells
        .iter()
        .filter(|v| matches!(v, Value::Array(_)))
        .count();
    let (shape, leaves): (Vec<usize>, Vec<&Value>) = if lists == 0 {
        if spec.shape != [-1] && spec.shape != [-1, 1] {
            problems.push(Code::InvalidParameterValue, format!(
                "The input pandas dataframe column '{}' contains scalar values, which requires the shape to be (-1,) or (-1, 1), but got tensor spec shape of {}.",
                name, shape_repr(&spec.shape)
            ));
            return None;
        }
        let shape = if spec.shape.len() == 1 {
            vec![rows]
        } else {
            vec![rows, 1]
        };
        (shape, cells.to_vec())
    } else {
        let per_row = spec.shape.iter().skip(1).try_fold(1usize, |acc, d| {
            usize::try_from(*d)
                .ok()
                .and_then(|d| acc.checked_mul(d))
                .filter(|p| *p <= max)
        });
        let per_row = match per_row {
            Some(p) => p,
            None => {
                problems.push(
                    Code::BadRequest,
                    format!(
                        "Invalid input. The tensor shape {} of input {} has more than {} elements per row",
                        shape_repr(&spec.shape),
                        name,
                        max
                    ),
                );
                return None;
            }
        };
        let mut leaves = Vec::with_capacity(rows.saturating_mul(per_row).min(max));
        for v in cells {
            let ok = match flatten(v, max) {
                Ok((_, l)) if l.len() == per_row => {
                    leaves.extend(l);
                    true
                }
                _ => false,
            };
            if !ok {
                problems.push(Code::InvalidParameterValue, format!(
                    "The value in the Input DataFrame column '{}' could not be converted to the expected shape of: '{}'. Ensure that each of the input list elements are of uniform length and that the data can be coerced to the tensor type '{}'",
                    name, shape_repr(&spec.shape), spec.dtype.name()
                ));
                return None;
            }
        }
        let mut shape = vec![rows];
        shape.extend(spec.shape.iter().skip(1).map(|d| *d as usize));
        (shape, leaves)
    };
    Some(build(
        Some(&name),
        spec.dtype,
        shape,
        &leaves,
        Path::Frame,
        problems,
    ))
    .map(|mut e| {
        if spec.name.is_none() {
            e.name = None;
        }
        e
    })
}

/// A DataFrame (`dataframe_split`/`records`) against a tensor signature.
pub fn from_frame(
    specs: &[TensorSpec],
    frame: &Frame,
    max: usize,
    problems: &mut Problems,
) -> Vec<Entry> {
    let mut out = Vec::new();
    let unnamed = specs.len() == 1 && specs[0].name.is_none();
    if unnamed {
        let spec = &specs[0];
        let k = frame.cols.len();
        if frame.rows == 0 || k == 0 {
            problems.push(
                Code::InvalidParameterValue,
                "Input DataFrame is empty.".into(),
            );
            return out;
        }
        if k == 1 {
            if let Some(e) = column_tensor(spec, &frame.labels[0], &frame.cols[0], max, problems) {
                out.push(e);
            }
            return out;
        }
        if spec.shape != [-1, k as i64] {
            problems.push(Code::InvalidParameterValue, format!(
                "This model contains a model signature with an unnamed input. Since the input data is a pandas DataFrame containing multiple columns, the input shape must be of the structure (-1, number_of_dataframe_columns). Instead, the input DataFrame passed had {} columns and an input shape of {} with all values within the DataFrame of scalar type. Please adjust the passed in DataFrame to match the expected structure",
                k, shape_repr(&spec.shape)
            ));
            return out;
        }
        let mut leaves = Vec::with_capacity(frame.rows * k);
        for r in 0..frame.rows {
            for col in &frame.cols {
                leaves.push(col.get(r).copied().unwrap_or(&crate::frame::NULL));
            }
        }
        out.push(build(
            None,
            spec.dtype,
            vec![frame.rows, k],
            &leaves,
            Path::Frame,
            problems,
        ));
        return out;
    }
    let mut missing = Vec::new();
    let by_label = crate::frame::NameIndex::of_labels(&frame.labels);
    for spec in specs {
        let name = spec.name.as_deref().unwrap_or("");
        match by_label.find(name) {
            Some(j) => {
                if let Some(e) =
                    column_tensor(spec, &frame.labels[j], &frame.cols[j], max, problems)
                {
                    out.push(e);
                }
            }
            None => missing.push(format!("'{}'", name)),
        }
    }
    if !missing.is_empty() {
        problems.push(
            Code::InvalidParameterValue,
            format!("Model is missing inputs [{}].", missing.join(", ")),
        );
    }
    out
}

/// numpy's inferred dtype for `numpy.array(v)` without a dtype (no signature).
pub fn infer_dtype(leaves: &[&Value]) -> DType {
    let (mut ints, mut floats, mut bools, mut strs, mut other) = (0, 0, 0, 0, 0);
    for v in leaves {
        match v {
            Value::Number(n) if n.is_integer && n.as_i64().is_some() => ints += 1,
            Value::Number(n) if !n.is_integer => floats += 1,
            Value::Bool(_) => bools += 1,
            Value::String(_) => strs += 1,
            _ => other += 1,
        }
    }
    if other > 0 || (strs > 0 && ints + floats + bools > 0) {
        DType::Object
    } else if strs > 0 {
        DType::Str
    } else if floats > 0 || (ints == 0 && bools == 0) {
        DType::F64
    } else if ints > 0 {
        DType::I64
    } else {
        DType::Bool
    }
}

/// No signature: `numpy.array(v)` with numpy's inference.
pub fn infer_value(
    name: Option<&str>,
    v: &Value,
    max: usize,
    problems: &mut Problems,
) -> Option<Entry> {
    let (shape, leaves) = match flatten(v, max) {
        Ok(x) => x,
        Err(f) => {
            problems.add(f);
            return None;
        }
    };
    let dtype = infer_dtype(&leaves);
    Some(build(name, dtype, shape, &leaves, Path::Numpy, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Limits};

    #[test]
    fn flattens_uniform_nesting_and_refuses_ragged() {
        let lim = Limits::default();
        let v = parse(b"[[1, 2], [3, 4], [5, 6]]", &lim).unwrap();
        let (shape, leaves) = flatten(&v, 100).unwrap();
        assert_eq!(shape, vec![3, 2]);
        assert_eq!(leaves.len(), 6);
        let v = parse(b"[[1, 2], [3]]", &lim).unwrap();
        assert!(flatten(&v, 100).is_err());
        let v = parse(b"[[1, 2], 3]", &lim).unwrap();
        assert!(flatten(&v, 100).is_err());
        let v = parse(b"5", &lim).unwrap();
        assert_eq!(flatten(&v, 100).unwrap().0, Vec::<usize>::new());
        let v = parse(b"[[1, 2], [3, 4]]", &lim).unwrap();
        assert!(flatten(&v, 3).is_err());
    }
}
