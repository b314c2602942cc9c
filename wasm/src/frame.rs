//! DataFrames as MLflow's parse step builds them: `dataframe_split`, `dataframe_records`,
//! records lists and CSV become labelled columns of borrowed values; then the column
//! signature is matched (name, then position) and every column converted.

use crate::cells::{self, ColData, Locate, Path};
use crate::complex;
use crate::json::Value;
use crate::jsonout::{show_str, write_value};
use crate::output::Entry;
use crate::problems::{Code, Failure, Problems};
use crate::schema::{ColSpec, DType, Scalar, Ty};

/// A JSON null for cells a request leaves out.
pub static NULL: Value<'static> = Value::Null;

/// A column label: a name from the request, or a position when the request has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label<'v> {
    Name(&'v str),
    Pos(usize),
}

impl<'v> Label<'v> {
    pub fn text(&self) -> String {
        match self {
            Label::Name(s) => s.to_string(),
            Label::Pos(i) => i.to_string(),
        }
    }
    /// Python's repr in a list (`'a'` or `0`).
    pub fn py_repr(&self) -> String {
        match self {
            Label::Name(s) => format!("'{}'", s),
            Label::Pos(i) => i.to_string(),
        }
    }
    pub fn quoted(&self) -> String {
        match self {
            Label::Name(s) => show_str(s),
            Label::Pos(i) => i.to_string(),
        }
    }
}

/// Columns of borrowed cells, all of length `rows`.
pub struct Frame<'v, 'a> {
    pub labels: Vec<Label<'v>>,
    pub cols: Vec<Vec<&'v Value<'a>>>,
    pub rows: usize,
}

const SPLIT_INVALID: &str = "Invalid input. Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: ";

/// `dataframe_split` (spec 4.3).
pub fn from_split<'v, 'a>(v: &'v Value<'a>) -> Result<Frame<'v, 'a>, Failure> {
    let members = match v {
        Value::Object(m) => m,
        Value::Array(_) => {
            return Err(Failure::bad(
                "Invalid input. Dataframe split format must be a dictionary. Got list.",
            ))
        }
        other => {
            return Err(Failure::bad(format!(
                "Invalid input. Dataframe split format must be a dictionary. Got {}.",
                other.type_name()
            )))
        }
    };
    let keys_ok = members
        .iter()
        .all(|(k, _)| k == "data" || k == "columns" || k == "index");
    let data = match v.get("data") {
        Some(d) if keys_ok => d,
        _ => {
            let keys: Vec<String> = members.iter().map(|(k, _)| format!("'{}'", k)).collect();
            return Err(Failure::bad(format!(
                "Invalid input. Dataframe split format must have 'data' field and optionally 'columns' and 'index' fields. Got {{{}}}.",
                keys.join(", ")
            )));
        }
    };
    let rows = match data {
        Value::Array(rows) => rows,
        _ => {
            return Err(Failure::bad(format!(
                "{}'data' must be a list of rows",
                SPLIT_INVALID
            )))
        }
    };
    let nrows = rows.len();
    let width = |r: &Value| match r {
        Value::Array(c) => c.len(),
        _ => 1,
    };
    let mut labels: Vec<Label<'v>> = Vec::new();
    let ncols;
    match v.get("columns") {
        None | Some(Value::Null) => {
            ncols = rows.iter().map(width).max().unwrap_or(0);
            labels.extend((0..ncols).map(Label::Pos));
        }
        Some(Value::Array(names)) => {
            for n in names {
                match n {
                    Value::String(s) => {
                        if labels.iter().any(|l| *l == Label::Name(s)) {
                            return Err(Failure::bad(format!(
                                "{}column {} appears twice",
                                SPLIT_INVALID,
                                show_str(s)
                            )));
                        }
                        labels.push(Label::Name(s));
                    }
                    Value::Number(n) if n.is_integer => match n.as_i64() {
                        Some(i) if i >= 0 => labels.push(Label::Pos(i as usize)),
                        _ => {
                            return Err(Failure::bad(format!(
                                "{}column labels must be strings",
                                SPLIT_INVALID
                            )))
                        }
                    },
                    _ => {
                        return Err(Failure::bad(format!(
                            "{}column labels must be strings",
                            SPLIT_INVALID
                        )))
                    }
                }
            }
            ncols = labels.len();
            for (i, r) in rows.iter().enumerate() {
                if width(r) != ncols {
                    return Err(Failure::bad(format!(
                        "{}'{} columns passed, passed data had {} columns' (row {})",
                        SPLIT_INVALID,
                        ncols,
                        width(r),
                        i
                    )));
                }
            }
        }
        Some(_) => {
            return Err(Failure::bad(format!(
                "{}'columns' must be a list",
                SPLIT_INVALID
            )))
        }
    }
    match v.get("index") {
        None | Some(Value::Null) => {}
        Some(Value::Array(idx)) if idx.len() == nrows => {}
        Some(Value::Array(idx)) => {
            return Err(Failure::bad(format!(
                "{}'Length of values ({}) does not match length of index ({})'",
                SPLIT_INVALID,
                nrows,
                idx.len()
            )))
        }
        Some(_) => {
            return Err(Failure::bad(format!(
                "{}'index' must be a list",
                SPLIT_INVALID
            )))
        }
    }
    let mut cols: Vec<Vec<&'v Value<'a>>> = (0..ncols).map(|_| Vec::with_capacity(nrows)).collect();
    for r in rows {
        match r {
            Value::Array(cells) => {
                for (j, col) in cols.iter_mut().enumerate() {
                    col.push(cells.get(j).unwrap_or(&NULL));
                }
            }
            scalar => {
                for (j, col) in cols.iter_mut().enumerate() {
                    col.push(if j == 0 { scalar } else { &NULL });
                }
            }
        }
    }
    Ok(Frame {
        labels,
        cols,
        rows: nrows,
    })
}

/// A list of records (`dataframe_records`, or `inputs`/`instances` given records): missing
/// keys are missing values, columns in first-seen order.
pub fn from_records<'v, 'a>(records: &'v [Value<'a>]) -> Result<Frame<'v, 'a>, Failure> {
    let mut labels: Vec<Label<'v>> = Vec::new();
    let mut cols: Vec<Vec<&'v Value<'a>>> = Vec::new();
    for (r, rec) in records.iter().enumerate() {
        let members = match rec {
            Value::Object(m) => m,
            other => {
                return Err(Failure::bad(format!(
                    "Invalid input. Every record must be a JSON object; record {} is {}",
                    r,
                    crate::jsonout::show(other)
                )))
            }
        };
        for col in cols.iter_mut() {
            col.push(&NULL);
        }
        for (k, x) in members {
            let j = match labels.iter().position(|l| *l == Label::Name(k)) {
                Some(j) => j,
                None => {
                    labels.push(Label::Name(k));
                    let mut col = Vec::with_capacity(records.len());
                    col.resize(r + 1, &NULL);
                    cols.push(col);
                    cols.len() - 1
                }
            };
            if let Some(slot) = cols.get_mut(j).and_then(|c| c.get_mut(r)) {
                *slot = x;
            }
        }
    }
    Ok(Frame {
        labels,
        cols,
        rows: records.len(),
    })
}

struct ColLoc<'s>(&'s str);

impl<'s> Locate for ColLoc<'s> {
    fn at(&self, i: usize) -> String {
        format!("in column {} at row {}", self.0, i)
    }
}

/// Converts one column of cells to a column type.
pub fn column(
    name: String,
    quoted: &str,
    ty: &Ty,
    required: bool,
    cells: &[&Value],
    path: Path,
    problems: &mut Problems,
) -> Entry {
    let rows = cells.len();
    match ty {
        Ty::Scalar(t) => {
            let (data, dtype) =
                cells::convert(cells, t.dtype(), path, &ColLoc(quoted), t.name(), problems);
            Entry {
                name: Some(name),
                dtype,
                shape: vec![rows],
                data,
            }
        }
        complex_ty => {
            let mut out = String::from("[");
            for (i, v) in cells.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let mark = out.len();
                if let Err(f) = complex::enforce(v, complex_ty, required, &mut out) {
                    out.truncate(mark);
                    out.push_str("null");
                    problems.push(
                        f.code,
                        format!(
                            "Column {} at row {} does not match {}: {}",
                            quoted,
                            i,
                            complex_ty.describe(),
                            f.message
                        ),
                    );
                    if problems.full() {
                        break;
                    }
                }
            }
            out.push(']');
            Entry {
                name: Some(name),
                dtype: DType::Object,
                shape: vec![rows],
                data: ColData::Json(out, rows),
            }
        }
    }
}

/// Matches a frame to a column signature (spec 3.3) and converts the matched columns.
pub fn enforce(
    specs: &[ColSpec],
    frame: &Frame,
    path: Path,
    problems: &mut Problems,
) -> Vec<Entry> {
    let named = specs.first().map(|s| s.name.is_some()).unwrap_or(false);
    let mut entries = Vec::with_capacity(specs.len());
    if named {
        let mut missing: Vec<String> = Vec::new();
        let mut matched: Vec<(&ColSpec, usize)> = Vec::new();
        for spec in specs {
            let name = spec.name.as_deref().unwrap_or("");
            match frame.labels.iter().position(|l| *l == Label::Name(name)) {
                Some(j) => matched.push((spec, j)),
                None if spec.required => missing.push(format!("'{}'", name)),
                None => {}
            }
        }
        if !missing.is_empty() {
            let extras: Vec<String> = frame
                .labels
                .iter()
                .filter(|l| {
                    !specs
                        .iter()
                        .any(|s| matches!(l, Label::Name(n) if Some(*n) == s.name.as_deref()))
                })
                .map(|l| l.py_repr())
                .collect();
            let mut m = format!("Model is missing inputs [{}].", missing.join(", "));
            if !extras.is_empty() {
                m.push_str(&format!(
                    " Note that there were extra inputs: [{}].",
                    extras.join(", ")
                ));
            }
            problems.push(Code::InvalidParameterValue, m);
        }
        for (spec, j) in matched {
            let label = frame.labels[j];
            let cells = &frame.cols[j];
            entries.push(column(
                label.text(),
                &label.quoted(),
                &spec.ty,
                spec.required,
                cells,
                path,
                problems,
            ));
        }
    } else {
        if frame.cols.len() < specs.len() {
            problems.push(
                Code::InvalidParameterValue,
                format!(
                    "Model inference is missing inputs. The model signature declares {} inputs  but the provided value only has {} inputs. Note: the inputs were not named in the signature so we can only verify their count.",
                    specs.len(),
                    frame.cols.len()
                ),
            );
            return entries;
        }
        for (j, spec) in specs.iter().enumerate() {
            let label = frame.labels[j];
            entries.push(column(
                label.text(),
                &label.quoted(),
                &spec.ty,
                spec.required,
                &frame.cols[j],
                path,
                problems,
            ));
        }
    }
    entries
}

/// An unnamed column schema over `inputs`/`instances` lists: MLflow casts the whole list with
/// the first column's type, then enforces every column against its own type with the
/// in-process rules (spec 4.4, 3.4). Schemas of one type are the plain case.
pub fn enforce_unnamed_numpy(
    specs: &[ColSpec],
    frame: &Frame,
    problems: &mut Problems,
) -> Vec<Entry> {
    let t0 = match specs.first().map(|s| &s.ty) {
        Some(Ty::Scalar(t)) => *t,
        _ => return enforce(specs, frame, Path::Numpy, problems),
    };
    if specs.iter().all(|s| s.ty == Ty::Scalar(t0)) || frame.cols.len() < specs.len() {
        return enforce(specs, frame, Path::Numpy, problems);
    }
    let mut entries = Vec::with_capacity(specs.len());
    for (j, spec) in specs.iter().enumerate() {
        let label = frame.labels[j];
        let quoted = label.quoted();
        let cells = &frame.cols[j];
        // The cast every column gets: the first column's type.
        let first = column(
            label.text(),
            &quoted,
            &Ty::Scalar(t0),
            true,
            cells,
            Path::Numpy,
            problems,
        );
        let tj = match &spec.ty {
            Ty::Scalar(t) => *t,
            _ => {
                problems.push(
                    Code::InvalidParameterValue,
                    format!(
                        "Column {} does not match {}: the list was cast to {}",
                        quoted,
                        spec.ty.describe(),
                        t0.name()
                    ),
                );
                continue;
            }
        };
        if tj == t0 {
            entries.push(first);
            continue;
        }
        let zero_one = match &first.data {
            ColData::I64(v) => v.iter().all(|x| *x == 0 || *x == 1),
            _ => false,
        };
        let widen =
            matches!(
                (t0, tj),
                (Scalar::Integer, Scalar::Long)
                    | (Scalar::Integer, Scalar::Double)
                    | (Scalar::Float, Scalar::Double)
                    | (Scalar::String, Scalar::Binary)
                    | (Scalar::String, Scalar::Datetime)
                    | (Scalar::String, Scalar::Double)
            ) || (t0 == Scalar::Long && matches!(tj, Scalar::Double | Scalar::Float) && zero_one);
        if !widen {
            problems.push(
                Code::InvalidParameterValue,
                format!(
                    "Incompatible input types for column {}. Can not safely convert {} to {}. (An unnamed schema's list is cast with the first column's type, {}, as in MLflow.)",
                    quoted, t0.numpy(), tj.numpy(), t0.name()
                ),
            );
            continue;
        }
        let entry = match (first.data, tj) {
            // float32 values widen to float64 after their float32 rounding, as numpy does.
            (ColData::F32(v), Scalar::Double) => Entry {
                name: first.name,
                dtype: DType::F64,
                shape: first.shape,
                data: ColData::F64(v.iter().map(|x| *x as f64).collect()),
            },
            _ => column(
                label.text(),
                &quoted,
                &spec.ty,
                true,
                cells,
                Path::Numpy,
                problems,
            ),
        };
        entries.push(entry);
    }
    entries
}

/// What pandas infers for a column without a schema: int64, float64, bool, str or object.
pub fn infer_dtype(cells: &[&Value]) -> DType {
    let (mut ints, mut floats, mut bools, mut strs, mut nulls, mut other) = (0, 0, 0, 0, 0, 0);
    for v in cells {
        match v {
            Value::Number(n) if n.is_integer && n.as_i64().is_some() => ints += 1,
            Value::Number(n) if !n.is_integer => floats += 1,
            Value::Bool(_) => bools += 1,
            Value::String(_) => strs += 1,
            Value::Null => nulls += 1,
            _ => other += 1,
        }
    }
    let numbers = ints + floats;
    if other > 0 || (bools > 0 && numbers + strs + nulls > 0) || (strs > 0 && numbers > 0) {
        DType::Object
    } else if bools > 0 {
        DType::Bool
    } else if strs > 0 {
        DType::Str
    } else if numbers == 0 {
        DType::Object
    } else if floats == 0 && nulls == 0 {
        DType::I64
    } else {
        DType::F64
    }
}

/// No signature: every column with pandas' own inference.
pub fn infer(frame: &Frame, path: Path, problems: &mut Problems) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(frame.cols.len());
    for (j, cells) in frame.cols.iter().enumerate() {
        let label = frame.labels[j];
        let dtype = infer_dtype(cells);
        let (data, dtype) = if dtype == DType::Object {
            let mut out = String::from("[");
            for (i, v) in cells.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(&mut out, v);
            }
            out.push(']');
            (ColData::Json(out, cells.len()), DType::Object)
        } else {
            cells::convert(
                cells,
                dtype,
                path,
                &ColLoc(&label.quoted()),
                dtype.name(),
                problems,
            )
        };
        entries.push(Entry {
            name: Some(label.text()),
            dtype,
            shape: vec![frame.rows],
            data,
        });
    }
    entries
}
