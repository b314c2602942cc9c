//! One request, one pass: the envelope (spec 4.3) or CSV (4.5), MLflow's parse step (4.4) and
//! enforcement (3.3-3.7) under lossless-or-loud, into typed buffers or every violation.

use crate::cells::{float_from_text, Path};
use crate::csv::parse_csv;
use crate::frame::{self, plan, spec_index, Frame, Label, NameIndex, NULL};
use crate::json::{self, Limits, Num, Value};
use crate::jsonout::show_str;
use crate::output::{Entry, Format, Kind, Validated};
use crate::params;
use crate::problems::{Code, Failure, Problems};
use crate::schema::{ColSpec, Inputs, ParamSpec, Scalar, TensorSpec, Ty};
use crate::tensor;
use std::borrow::Cow;

/// A compiled signature plus the limits it validates with.
pub struct Compiled {
    pub inputs: Inputs,
    pub params: Option<Vec<ParamSpec>>,
    pub limits: Limits,
    pub max_errors: usize,
    /// Entries the runtime casts from float64 to float32 (see `narrow.rs`).
    pub float32: crate::narrow::Float32Targets,
}

const FORMAT_KEYS: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];
const FIELDS: &str = "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}";
const LLM_KEYS: [&str; 3] = ["messages", "prompt", "input"];

fn py_class(v: &Value) -> &'static str {
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

/// Validates a JSON body: the fast path for the hot shapes, else the full path.
pub fn validate_json(sig: &Compiled, body: &[u8]) -> Result<Validated, Failure> {
    match crate::fast::try_validate(sig, body) {
        Some(v) => Ok(v),
        None => validate_full(sig, body),
    }
}

/// Validates a JSON body through the JSON tree (every shape, every refusal).
pub fn validate_full(sig: &Compiled, body: &[u8]) -> Result<Validated, Failure> {
    let doc = json::parse(body, &sig.limits).map_err(|e| {
        Failure::bad(format!(
            "Invalid input. Ensure that input is a valid JSON formatted string. Error: {}",
            e
        ))
    })?;
    let members = match &doc {
        Value::Object(m) => m,
        Value::Array(_) => {
            return Err(Failure::bad(format!(
                "The input must be a JSON dictionary with exactly one of the input fields {}. Received a list.",
                FIELDS
            )))
        }
        other => {
            return Err(Failure::bad(format!(
                "The input must be a JSON dictionary with exactly one of the input fields {}. Received unexpected input type '{}'.",
                FIELDS,
                py_class(other)
            )))
        }
    };
    if members.iter().any(|(k, _)| LLM_KEYS.contains(&k.as_ref())) {
        return validate_llm(sig, members);
    }
    let present: Vec<&(Cow<str>, Value)> = members
        .iter()
        .filter(|(k, _)| FORMAT_KEYS.contains(&k.as_ref()))
        .collect();
    if present.len() != 1 {
        let keys: Vec<String> = members.iter().map(|(k, _)| format!("'{}'", k)).collect();
        return Err(Failure::bad(format!(
            "The input must be a JSON dictionary with exactly one of the input fields {}. Received dictionary with input fields: [{}].",
            FIELDS,
            keys.join(", ")
        )));
    }
    let (key, value) = (present[0].0.as_ref(), &present[0].1);
    let mut problems = Problems::new(sig.max_errors);
    let max = sig.limits.max_elements;
    let (format, kind, rows, entries) = match key {
        "dataframe_split" | "dataframe_records" => {
            // Extra columns of a named signature are never materialised.
            let keep = match &sig.inputs {
                Inputs::Columns(specs) => spec_index(specs),
                Inputs::Tensors(specs) => tensor_index(specs),
                Inputs::None => None,
            };
            let fr = if key == "dataframe_split" {
                frame::from_split(value, keep.as_ref(), max)?
            } else {
                match value {
                    Value::Array(records) => frame::from_records(records, keep.as_ref(), max)?,
                    _ => {
                        return Err(Failure::bad(
                            "Invalid input. Dataframe records format must be a list of records. Got dictionary.",
                        ))
                    }
                }
            };
            let format = if key == "dataframe_split" {
                Format::Split
            } else {
                Format::Records
            };
            match &sig.inputs {
                Inputs::None => (
                    format,
                    Kind::Columns,
                    fr.rows,
                    frame::infer(&fr, Path::Frame, &mut problems),
                ),
                Inputs::Columns(specs) => (
                    format,
                    Kind::Columns,
                    fr.rows,
                    frame::enforce(specs, &fr, Path::Frame, &mut problems),
                ),
                Inputs::Tensors(specs) => {
                    let e = tensor::from_frame(specs, &fr, max, &mut problems);
                    (format, Kind::Tensors, fr.rows, e)
                }
            }
        }
        _ => {
            let instances = key == "instances";
            let format = if instances {
                Format::Instances
            } else {
                Format::Inputs
            };
            let (kind, rows, entries) = match &sig.inputs {
                Inputs::None => numpy_nosig(value, instances, max, &mut problems)?,
                Inputs::Columns(specs) => {
                    numpy_columns(specs, value, instances, max, &mut problems)?
                }
                Inputs::Tensors(specs) => {
                    numpy_tensors(specs, value, instances, max, &mut problems)?
                }
            };
            (format, kind, rows, entries)
        }
    };
    if let Some(f) = problems.into_failure() {
        return Err(f);
    }
    let params = params::enforce(sig.params.as_deref(), doc.get("params"))?;
    Ok(Validated {
        kind,
        format,
        rows,
        params,
        entries,
    })
}

type Out = (Kind, usize, Vec<Entry>);

fn rows_of(entries: &[Entry]) -> usize {
    entries
        .first()
        .and_then(|e| e.shape.first().copied())
        .unwrap_or(0)
}

/// `inputs` / `instances` with a column signature (spec 4.4 `_cast_schema_type`, then 3.2).
fn numpy_columns(
    specs: &[ColSpec],
    v: &Value,
    instances: bool,
    max: usize,
    problems: &mut Problems,
) -> Result<Out, Failure> {
    let named = specs.first().map(|s| s.name.is_some()).unwrap_or(false);
    let by_spec = spec_index(specs);
    match v {
        Value::Object(members) => {
            if !named {
                return Err(unnamed_dict());
            }
            // MLflow builds pandas' DataFrame from the dict of columns: lists are columns (all
            // of one length), scalars are broadcast along them; with an Array or Object column,
            // or only scalars, the dict is one row.
            let one_row = specs
                .iter()
                .any(|s| matches!(s.ty, Ty::Array(_) | Ty::Object(_)));
            let mut rows: Option<usize> = None;
            if !one_row {
                for (_, x) in members.iter() {
                    if let Value::Array(items) = x {
                        if *rows.get_or_insert(items.len()) != items.len() {
                            return Err(Failure::invalid(
                                "This model contains a column-based signature, which suggests a DataFrame input. There was an error casting the input data to a DataFrame: All arrays must be of the same length",
                            ));
                        }
                    }
                }
            }
            let rows = rows.unwrap_or(1);
            let mut labels = Vec::new();
            let mut cols: Vec<Vec<&Value>> = Vec::new();
            let mut dropped = Vec::new();
            for (k, x) in members {
                let label = Label::Name(k.as_ref());
                if by_spec.as_ref().map_or(false, |i| i.find(k).is_none()) {
                    dropped.push((label, rows)); // never materialised (nor broadcast)
                    continue;
                }
                labels.push(label);
                cols.push(match x {
                    Value::Array(items) if !one_row => items.iter().collect(),
                    _ => vec![x; rows],
                });
            }
            let mut fr = Frame::new(labels, cols, rows);
            fr.dropped = dropped;
            let entries = frame::enforce(specs, &fr, Path::Numpy, problems);
            Ok((Kind::Columns, rows, entries))
        }
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|x| matches!(x, Value::Object(_))) =>
        {
            let fr = frame::from_records(items, by_spec.as_ref(), max)?;
            if instances {
                // instances turns records into one array per name; lengths must agree.
                let uneven = || {
                    Failure::bad("Invalid input. The length of values for each input/column name are not the same")
                };
                for (j, col) in fr.cols.iter().enumerate() {
                    let spec = match (&fr.labels[j], &by_spec) {
                        (Label::Name(n), Some(i)) => i.find(n).map(|k| &specs[k]),
                        _ => None,
                    };
                    let is_array = spec
                        .map(|s| matches!(s.ty, Ty::Array(_)) || !s.required)
                        .unwrap_or(false);
                    if !is_array && col.iter().any(|c| std::ptr::eq(*c, &NULL)) {
                        return Err(uneven());
                    }
                }
                if fr.dropped.iter().any(|(_, n)| *n < fr.rows) {
                    return Err(uneven());
                }
                let by_label = NameIndex::of_labels(&fr.labels);
                for s in specs {
                    if let (Ty::Object(_), Some(n)) = (&s.ty, &s.name) {
                        if by_label.find(n).is_some() {
                            problems.push(Code::InvalidParameterValue, format!(
                                "Column {} does not match {}: Expected data to be dictionary, got ndarray (instances requests turn records into one array per column, which MLflow cannot match to an Object type; send dataframe_records or inputs instead)",
                                show_str(n), s.ty.describe()
                            ));
                        }
                    }
                }
            }
            let entries = frame::enforce(specs, &fr, Path::Numpy, problems);
            Ok((Kind::Columns, fr.rows, entries))
        }
        Value::Array(items) => {
            let fr = if named && specs.len() == 1 {
                let name = specs[0].name.as_deref().unwrap_or("");
                Frame::new(
                    vec![Label::Name(name)],
                    vec![items.iter().collect()],
                    items.len(),
                )
            } else if items.iter().any(|x| matches!(x, Value::Array(_))) {
                let width = match items.first() {
                    Some(Value::Array(r)) => r.len(),
                    _ => 1,
                };
                let mut cols: Vec<Vec<&Value>> = (0..width)
                    .map(|_| Vec::with_capacity(items.len()))
                    .collect();
                for r in items {
                    match r {
                        Value::Array(cells) if cells.len() == width => {
                            for (j, c) in cells.iter().enumerate() {
                                cols[j].push(c);
                            }
                        }
                        _ => return Err(Failure::bad("Invalid input. setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions.")),
                    }
                }
                Frame::new((0..width).map(Label::Pos).collect(), cols, items.len())
            } else {
                Frame::new(
                    vec![Label::Pos(0)],
                    vec![items.iter().collect()],
                    items.len(),
                )
            };
            let entries = if !named {
                frame::enforce_unnamed_numpy(specs, &fr, problems)
            } else {
                first_column_cast(specs, &fr, problems.cap())?;
                frame::enforce(specs, &fr, Path::Numpy, problems)
            };
            Ok((Kind::Columns, fr.rows, entries))
        }
        scalar => {
            let label = if named && specs.len() == 1 {
                Label::Name(specs[0].name.as_deref().unwrap_or(""))
            } else {
                Label::Pos(0)
            };
            let fr = Frame::new(vec![label], vec![vec![scalar]], 1);
            let entries = frame::enforce(specs, &fr, Path::Numpy, problems);
            Ok((Kind::Columns, 1, entries))
        }
    }
}

/// A list given to a named multi-column signature: MLflow's parse step first casts the whole
/// list with the first column's type (`numpy.array(list, dtype)`), and a value that cast cannot
/// take is its BAD_REQUEST; the list then becomes a frame with columns 0..n-1, which the named
/// signature does not find (`Model is missing inputs`). Values the cast would merely alter are
/// not reported: the request is refused either way.
fn first_column_cast(specs: &[ColSpec], fr: &Frame, cap: usize) -> Result<(), Failure> {
    let t0 = match specs.first().map(|s| &s.ty) {
        Some(Ty::Scalar(t)) => *t,
        _ => return Ok(()),
    };
    let mut cast = Problems::new(cap);
    for (label, cells) in fr.labels.iter().zip(&fr.cols) {
        frame::column(
            label.text(),
            &label.quoted(),
            &Ty::Scalar(t0),
            true,
            cells,
            Path::Numpy,
            &mut cast,
        );
        if cast.full() {
            break;
        }
    }
    match cast.into_failure() {
        Some(f) if f.code == Code::BadRequest => Err(f),
        _ => Ok(()),
    }
}

fn unnamed_dict() -> Failure {
    Failure::bad("Invalid input. Failed to parse input data. This model contains an un-named  model signature which expects a single n-dimensional array or a single value as input, however, an input of type <class 'dict'> was found.")
}

/// The names of a named tensor signature, indexed (`None` when unnamed).
fn tensor_index(specs: &[TensorSpec]) -> Option<NameIndex<'_>> {
    if specs.first().map(|s| s.name.is_some()) != Some(true) {
        return None;
    }
    Some(NameIndex::new(
        specs.iter().map(|s| s.name.as_deref().unwrap_or("")),
    ))
}

/// `inputs` / `instances` with a tensor signature.
fn numpy_tensors(
    specs: &[TensorSpec],
    v: &Value,
    instances: bool,
    max: usize,
    problems: &mut Problems,
) -> Result<Out, Failure> {
    let named = specs.first().map(|s| s.name.is_some()).unwrap_or(false);
    let mut entries = Vec::with_capacity(specs.len());
    if !named {
        if let Value::Object(_) = v {
            return Err(unnamed_dict());
        }
        if let Some(e) = tensor::from_value(&specs[0], v, max, problems) {
            entries.push(e);
        }
        let rows = rows_of(&entries);
        return Ok((Kind::Tensors, rows, entries));
    }
    match v {
        Value::Object(members) => {
            let mut missing = Vec::new();
            let by_key = NameIndex::new(members.iter().map(|(k, _)| k.as_ref()));
            for spec in specs {
                match by_key.find(spec.name.as_deref().unwrap_or("")) {
                    Some(i) => {
                        let x = &members[i].1;
                        if let Some(e) = tensor::from_value(spec, x, max, problems) {
                            entries.push(e);
                        }
                    }
                    None => missing.push(format!("'{}'", spec.name.as_deref().unwrap_or(""))),
                }
            }
            if !missing.is_empty() {
                problems.push(
                    Code::InvalidParameterValue,
                    format!("Model is missing inputs [{}].", missing.join(", ")),
                );
            }
        }
        Value::Array(items)
            if instances
                && !items.is_empty()
                && items.iter().all(|x| matches!(x, Value::Object(_))) =>
        {
            for spec in specs {
                if let Some(e) = tensor::from_records(spec, items, max, problems) {
                    entries.push(e);
                }
            }
        }
        other => {
            if specs.len() == 1 {
                if let Some(e) = tensor::from_value(&specs[0], other, max, problems) {
                    entries.push(e);
                }
            } else {
                let names: Vec<String> = specs
                    .iter()
                    .map(|s| format!("'{}'", s.name.as_deref().unwrap_or("")))
                    .collect();
                problems.push(Code::InvalidParameterValue, format!(
                    "Model is missing inputs [{}]. This model contains a tensor-based model signature with input names, which suggests a dictionary input mapping input name to a numpy array, but a {} was found.",
                    names.join(", "),
                    py_class(other)
                ));
            }
        }
    }
    let rows = rows_of(&entries);
    Ok((Kind::Tensors, rows, entries))
}

/// `inputs` / `instances` without a signature: numpy's own inference.
fn numpy_nosig(
    v: &Value,
    instances: bool,
    max: usize,
    problems: &mut Problems,
) -> Result<Out, Failure> {
    let mut entries = Vec::new();
    match v {
        Value::Object(members) => {
            for (k, x) in members {
                if let Some(e) = tensor::infer_value(Some(k), x, max, problems) {
                    entries.push(e);
                }
            }
            let rows = rows_of(&entries);
            Ok((Kind::Tensors, rows, entries))
        }
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|x| matches!(x, Value::Object(_))) =>
        {
            let fr = frame::from_records(items, None, max)?;
            if instances {
                for (j, col) in fr.cols.iter().enumerate() {
                    let cells: Vec<&Value> = col.clone();
                    if cells.iter().any(|c| std::ptr::eq(*c, &NULL)) {
                        return Err(Failure::bad("Invalid input. The length of values for each input/column name are not the same"));
                    }
                    let (shape, leaves) = match tensor::stack(&cells, max) {
                        Ok(x) => x,
                        Err(f) => return Err(f),
                    };
                    let dtype = tensor::infer_dtype(&leaves);
                    entries.push(tensor::build(
                        Some(&fr.labels[j].text()),
                        dtype,
                        shape,
                        &leaves,
                        Path::Numpy,
                        problems,
                    ));
                }
                let rows = rows_of(&entries);
                return Ok((Kind::Tensors, rows, entries));
            }
            let entries = frame::infer(&fr, Path::Numpy, problems);
            Ok((Kind::Columns, fr.rows, entries))
        }
        other => {
            if let Some(e) = tensor::infer_value(None, other, max, problems) {
                entries.push(e);
            }
            let rows = rows_of(&entries);
            Ok((Kind::Tensors, rows, entries))
        }
    }
}

/// The unified LLM payload (spec 4.3): keys named in the params schema are params, the rest is
/// one record, enforced as one row.
fn validate_llm(sig: &Compiled, members: &[(Cow<str>, Value)]) -> Result<Validated, Failure> {
    let param_names = sig
        .params
        .as_ref()
        .map(|ps| NameIndex::new(ps.iter().map(|p| p.name.as_str())));
    let is_param = |k: &str| {
        param_names
            .as_ref()
            .map(|i| i.find(k).is_some())
            .unwrap_or(false)
    };
    let mut labels = Vec::new();
    let mut cols = Vec::new();
    let mut param_members: Vec<(Cow<str>, Value)> = Vec::new();
    for (k, v) in members {
        if is_param(k) {
            param_members.push((k.clone(), v.clone()));
        } else {
            labels.push(Label::Name(k.as_ref()));
            cols.push(vec![v]);
        }
    }
    let mut problems = Problems::new(sig.max_errors);
    let fr = Frame::new(labels, cols, 1);
    if let Inputs::Columns(specs) = &sig.inputs {
        // No parse-step cast happens for these payloads: MLflow's in-process rules decide
        // which scalar columns pass; accepted values then convert without loss.
        let by_label = NameIndex::of_labels(&fr.labels);
        for spec in specs {
            if let (Ty::Scalar(t), Some(name)) = (&spec.ty, &spec.name) {
                if let Some(j) = by_label.find(name) {
                    if let Err(f) = crate::complex::column_accepts(&fr.cols[j], *t) {
                        problems.push(f.code, format!("Column {}: {}", show_str(name), f.message));
                    }
                }
            }
        }
        if let Some(f) = problems.into_failure() {
            return Err(f);
        }
        problems = Problems::new(sig.max_errors);
    }
    let entries = match &sig.inputs {
        Inputs::Columns(specs) => frame::enforce(specs, &fr, Path::Frame, &mut problems),
        Inputs::None => frame::infer(&fr, Path::Frame, &mut problems),
        Inputs::Tensors(_) => {
            return Err(Failure::invalid(
                "A chat/completions payload (messages, prompt or input) cannot be matched to a tensor-based signature",
            ))
        }
    };
    if let Some(f) = problems.into_failure() {
        return Err(f);
    }
    let given = if param_members.is_empty() {
        None
    } else {
        Some(Value::Object(param_members))
    };
    let params = params::enforce(sig.params.as_deref(), given.as_ref())?;
    Ok(Validated {
        kind: Kind::Columns,
        format: Format::Llm,
        rows: 1,
        params,
        entries,
    })
}

const NA_TOKENS: [&str; 19] = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
];

fn is_json_int(t: &str) -> bool {
    let d = t.strip_prefix('-').unwrap_or(t);
    !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()) && !(d.len() > 1 && d.starts_with('0'))
}

fn is_json_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let s = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i == s || (i - s > 1 && b[s] == b'0') {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

fn num_value(t: &str) -> Value<'_> {
    if is_json_number(t) {
        Value::Number(Num {
            text: t,
            is_integer: is_json_int(t),
        })
    } else {
        Value::String(Cow::Borrowed(t))
    }
}

fn csv_bool(t: &str) -> Option<bool> {
    match t {
        "True" | "true" | "TRUE" => Some(true),
        "False" | "false" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Validates a `text/csv` body: pandas.read_csv with the schema's dtypes, then the same
/// enforcement as `dataframe_split`. Columns are read one at a time (their cells' values are
/// released before the next column), and columns the signature does not name are never read.
pub fn validate_csv(sig: &Compiled, body: &[u8]) -> Result<Validated, Failure> {
    let csv_fail = |m: &str| {
        Failure::bad(format!(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid CSV-formatted Pandas DataFrame produced using the `pandas.DataFrame.to_csv()` method. Error: '{}'",
            m
        ))
    };
    let csv = parse_csv(body, &sig.limits).map_err(|e| csv_fail(&e.message))?;
    let specs: &[ColSpec] = match &sig.inputs {
        Inputs::Tensors(_) => {
            return Err(Failure::bad(
                "CSV requests cannot be matched to a tensor-based signature (MLflow fails on them as well); send JSON with inputs or instances",
            ))
        }
        Inputs::Columns(c) => c,
        Inputs::None => &[],
    };
    let rows = csv.rows();
    let labels: Vec<Label> = csv.header.iter().map(|h| Label::Name(h.as_ref())).collect();
    // Text problems (pandas' read_csv) come first; enforcement problems only without them.
    let mut text_problems = Problems::new(sig.max_errors);
    let mut problems = Problems::new(sig.max_errors);
    // (column, spec) pairs in header order: what read_csv converts and the model receives.
    let mut work: Vec<(usize, Option<usize>)> = match &sig.inputs {
        Inputs::Columns(_) => plan(specs, &labels, &[], &mut problems)
            .into_iter()
            .map(|(k, j)| (j, Some(k)))
            .collect(),
        _ => (0..labels.len()).map(|j| (j, None)).collect(),
    };
    work.sort_unstable();
    let mut entries: Vec<(usize, Entry)> = Vec::with_capacity(work.len());
    for (j, k) in work {
        let spec = k.map(|k| &specs[k]);
        let col = csv_column(&csv, j, spec.map(|s| &s.ty), &mut text_problems);
        if !text_problems.is_empty() {
            continue; // keep reading for more text problems, but convert nothing more
        }
        let cells: Vec<&Value> = col.iter().collect();
        let label = labels[j];
        let entry = match spec {
            Some(spec) => frame::column(
                label.text(),
                &label.quoted(),
                &spec.ty,
                spec.required,
                &cells,
                Path::Csv,
                &mut problems,
            ),
            None => frame::infer_column(label, &cells, Path::Csv, &mut problems),
        };
        entries.push((k.unwrap_or(j), entry));
    }
    if let Some(f) = text_problems.into_failure() {
        return Err(f);
    }
    if let Some(f) = problems.into_failure() {
        return Err(f);
    }
    entries.sort_by_key(|(k, _)| *k);
    // CSV carries no params: the schema's defaults apply.
    let params = params::enforce(sig.params.as_deref(), None)?;
    Ok(Validated {
        kind: Kind::Columns,
        format: Format::Csv,
        rows,
        params,
        entries: entries.into_iter().map(|(_, e)| e).collect(),
    })
}

/// Column `j` of a CSV body as `pandas.read_csv` reads it with the schema's dtype for the
/// column (`ty`), or with pandas' own inference (int64, float64, bool, else text) without one.
/// Values pandas would refuse or silently alter are recorded in `problems`.
fn csv_column<'c>(
    csv: &'c crate::csv::Csv<'c>,
    j: usize,
    ty: Option<&Ty>,
    problems: &mut Problems,
) -> Vec<Value<'c>> {
    let quoted = show_str(&csv.header[j]);
    let mut col: Vec<Value> = Vec::with_capacity(csv.rows());
    let texts = (0..csv.rows()).map(|r| csv.text(r, j));
    match ty {
        Some(Ty::Scalar(t)) => {
            for (i, text) in texts.enumerate() {
                let na = NA_TOKENS.contains(&text);
                let v = match t {
                    Scalar::Long | Scalar::Integer => {
                        if na {
                            problems.push(
                                Code::BadRequest,
                                format!(
                                    "Integer column {} has a missing value (NA) at row {}",
                                    quoted, i
                                ),
                            );
                            Value::Null
                        } else if is_json_int(text.trim()) {
                            num_value(text.trim())
                        } else {
                            problems.push(Code::BadRequest, format!("Cannot convert {} in column {} at row {} to {}: invalid literal for int() with base 10", show_str(text), quoted, i, t.name()));
                            Value::Null
                        }
                    }
                    Scalar::Double | Scalar::Float => {
                        if na {
                            Value::Null
                        } else if float_from_text(text).is_some() {
                            num_value(text.trim())
                        } else {
                            problems.push(Code::BadRequest, format!("Cannot convert {} in column {} at row {} to {}: could not convert string to float", show_str(text), quoted, i, t.name()));
                            Value::Null
                        }
                    }
                    Scalar::Boolean => match csv_bool(text.trim()) {
                        Some(b) => Value::Bool(b),
                        None => {
                            problems.push(Code::BadRequest, format!("Cannot convert {} in column {} at row {} to boolean: only True and False are booleans in CSV", show_str(text), quoted, i));
                            Value::Null
                        }
                    },
                    Scalar::String | Scalar::Binary | Scalar::Datetime => {
                        if text.is_empty() {
                            Value::Null
                        } else if na && *t != Scalar::Datetime {
                            problems.push(Code::InvalidParameterValue, format!(
                                "Cannot convert {} in column {} at row {} to {}: pandas would silently read this text as a missing value",
                                show_str(text), quoted, i, t.name()
                            ));
                            Value::Null
                        } else if na {
                            Value::Null
                        } else {
                            Value::String(Cow::Borrowed(text))
                        }
                    }
                };
                col.push(v);
                if problems.full() {
                    break;
                }
            }
        }
        Some(complex) => {
            problems.push(
                Code::BadRequest,
                format!(
                    "Column {} has type {}, which CSV requests cannot carry; send JSON instead",
                    quoted,
                    complex.describe()
                ),
            );
        }
        None => {
            // pandas' inference: int64, float64, bool, else text; NA tokens are missing.
            let cells: Vec<&str> = texts.collect();
            let present: Vec<&str> = cells
                .iter()
                .copied()
                .filter(|t| !NA_TOKENS.contains(t))
                .collect();
            let all_int = present.iter().all(|t| is_json_int(t.trim()));
            let all_num = present.iter().all(|t| float_from_text(t).is_some());
            let all_bool =
                !present.is_empty() && present.iter().all(|t| csv_bool(t.trim()).is_some());
            for t in cells {
                let na = NA_TOKENS.contains(&t);
                col.push(if na {
                    Value::Null
                } else if all_bool {
                    Value::Bool(csv_bool(t.trim()).unwrap_or(false))
                } else if all_int || all_num {
                    let v = num_value(t.trim());
                    match v {
                        Value::Number(n) if !all_int => Value::Number(Num {
                            text: n.text,
                            is_integer: false,
                        }),
                        other => other,
                    }
                } else {
                    Value::String(Cow::Borrowed(t))
                });
            }
        }
    }
    col
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{parse_inputs, parse_params};

    fn compiled(inputs: Option<&str>, params: Option<&str>) -> Compiled {
        let lim = Limits::default();
        Compiled {
            inputs: parse_inputs(inputs, &lim).unwrap(),
            params: parse_params(params, &lim).unwrap(),
            limits: Limits {
                max_depth: 32,
                max_elements: 100_000,
                max_string_bytes: 4096,
            },
            max_errors: 5,
            float32: Default::default(),
        }
    }

    /// Seeded byte mutations of representative bodies through every signature kind: the core
    /// must answer (accept or refuse), never panic (debug builds also trap on overflow).
    #[test]
    fn mutated_bodies_never_panic() {
        let sigs = [
            compiled(None, None),
            compiled(
                Some(
                    r#"[{"type":"double","name":"a"},{"type":"long","name":"b"},{"type":"string","name":"c","required":false},{"type":"boolean","name":"d","required":false},{"type":"datetime","name":"e","required":false},{"type":"binary","name":"f","required":false},{"type":"float","name":"g","required":false},{"type":"integer","name":"h","required":false}]"#,
                ),
                Some(
                    r#"[{"name":"t","type":"double","default":0.5,"shape":null},{"name":"s","type":"string","default":["x"],"shape":[-1]},{"name":"w","type":"datetime","default":"2024-01-01","shape":null}]"#,
                ),
            ),
            compiled(
                Some(r#"[{"type":"long"},{"type":"double"},{"type":"string"}]"#),
                None,
            ),
            compiled(
                Some(r#"[{"type":"tensor","tensor-spec":{"dtype":"uint8","shape":[-1,2,2]}}]"#),
                None,
            ),
            compiled(
                Some(
                    r#"[{"type":"tensor","tensor-spec":{"dtype":"float16","shape":[-1,2]},"name":"x"},{"type":"tensor","tensor-spec":{"dtype":"int8","shape":[-1]},"name":"y"}]"#,
                ),
                None,
            ),
            compiled(
                Some(
                    r#"[{"type":"array","items":{"type":"object","properties":{"k":{"type":"map","values":{"type":"double"}},"n":{"type":"long","required":false}}},"name":"a"},{"type":"any","name":"z","required":false}]"#,
                ),
                None,
            ),
        ];
        let bodies: [&[u8]; 10] = [
            br#"{"dataframe_split": {"index": [0, 1], "columns": ["a", "b", "c", "d", "e", "f", "g", "h"], "data": [[1.5, 2, "x", true, "2024-01-02T03:04:05.123456789", "AQI=", 1e38, 2147483647], [NaN, -9223372036854775808, null, false, 1, "", -Infinity, -1]]}, "params": {"t": 1, "s": ["a"], "w": "2024-01-01 00:00:00"}}"#,
            br#"{"dataframe_records": [{"a": 1, "b": 2}, {"b": 3, "a": 4.5e300, "z": [1, {"q": null}]}]}"#,
            br#"{"inputs": {"a": [1, 2], "b": [3, 4], "c": ["x", "y"]}, "params": {"t": "bad"}}"#,
            br#"{"inputs": [[[1, 2], [3, 4]], [[5, 6], [7, 255]]]}"#,
            br#"{"instances": [{"x": [1, 2], "y": 3}, {"x": [65504, -65504], "y": -128}]}"#,
            br#"{"inputs": {"a": [{"k": {"p": 0, "q": 1}, "n": 5}, {"k": {}}], "z": "anything"}}"#,
            br#"{"messages": [{"role": "user", "content": "hi"}], "t": 0.7, "a": 1}"#,
            br#"{"inputs": [[1, 2.5, "s"], [3, 4, "t"]]}"#,
            b"a,b,c,d,e\n1.5,2,x,True,2024-01-01\n,3,NA,False,\n",
            b",a,b\n0,1,2\n1,\"3\",\"4\"\"\"\n",
        ];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let tokens: [&[u8]; 12] = [
            b"[",
            b"]",
            b"{",
            b"}",
            b",",
            b"\"",
            b"-",
            b"1e999",
            b"null",
            b"9999999999999999999999",
            b"\\u00e9",
            b"\xff",
        ];
        for round in 0..30_000 {
            let base = bodies[round % bodies.len()];
            let mut body = base.to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (body.len() + 1);
                match next() % 4 {
                    0 if at < body.len() => {
                        body.remove(at);
                    }
                    1 if at < body.len() => body[at] = next() as u8,
                    _ => {
                        let t = tokens[(next() as usize) % tokens.len()];
                        body.splice(at..at, t.iter().copied());
                    }
                }
            }
            for sig in &sigs {
                let _ = validate_json(sig, &body);
                let _ = validate_full(sig, &body);
                let _ = validate_csv(sig, &body);
                if let Ok(v) = validate_json(sig, &body) {
                    let _ = crate::output::encode_ok(&v);
                }
            }
        }
    }
}
