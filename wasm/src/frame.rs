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
use std::collections::BTreeMap;

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
    /// Columns the request had but the signature does not name, in first-seen order, with
    /// the number of rows that carried each: read for messages, never materialised.
    pub dropped: Vec<(Label<'v>, usize)>,
}

impl<'v, 'a> Frame<'v, 'a> {
    /// A frame of complete columns (nothing dropped).
    pub fn new(labels: Vec<Label<'v>>, cols: Vec<Vec<&'v Value<'a>>>, rows: usize) -> Self {
        Frame {
            labels,
            cols,
            rows,
            dropped: Vec::new(),
        }
    }
}

/// Names sorted once for O(log n) lookups and duplicate detection, so that no request pays
/// a cost quadratic in its number of columns or keys. Sorting (not hashing) keeps the cost
/// independent of the names an attacker picks.
pub struct NameIndex<'n> {
    /// (name, position in the original order), sorted by name then position.
    sorted: Vec<(&'n str, usize)>,
}

impl<'n> NameIndex<'n> {
    /// Indexes names by their position in `names`.
    pub fn new<I: IntoIterator<Item = &'n str>>(names: I) -> Self {
        let mut sorted: Vec<(&'n str, usize)> =
            names.into_iter().enumerate().map(|(i, n)| (n, i)).collect();
        sorted.sort_unstable();
        NameIndex { sorted }
    }

    /// Indexes the named labels of a frame (positions are label positions).
    pub fn of_labels(labels: &[Label<'n>]) -> Self {
        let mut sorted: Vec<(&'n str, usize)> = labels
            .iter()
            .enumerate()
            .filter_map(|(i, l)| match l {
                Label::Name(n) => Some((*n, i)),
                Label::Pos(_) => None,
            })
            .collect();
        sorted.sort_unstable();
        NameIndex { sorted }
    }

    /// The first position holding `name`.
    pub fn find(&self, name: &str) -> Option<usize> {
        let at = self.sorted.partition_point(|(n, _)| *n < name);
        match self.sorted.get(at) {
            Some((n, i)) if *n == name => Some(*i),
            _ => None,
        }
    }

    /// The earliest position whose name already occurred before it.
    pub fn first_duplicate(&self) -> Option<usize> {
        self.sorted
            .windows(2)
            .filter(|w| w[0].0 == w[1].0)
            .map(|w| w[1].1)
            .min()
    }
}

/// The names of a column signature, indexed (`None` for an unnamed signature).
pub fn spec_index(specs: &[ColSpec]) -> Option<NameIndex<'_>> {
    if specs.first().map(|s| s.name.is_some()) != Some(true) {
        return None;
    }
    Some(NameIndex::new(
        specs.iter().map(|s| s.name.as_deref().unwrap_or("")),
    ))
}

/// Refuses a frame whose dense size (rows x columns, missing cells included) is over the
/// element limit: short rows and sparse records would otherwise cost memory quadratic in the
/// body (a 60 KB body can describe a billion missing cells).
pub fn check_cells(rows: usize, cols: usize, max: usize) -> Result<(), Failure> {
    if rows.saturating_mul(cols) > max {
        return Err(Failure::bad(format!(
            "Invalid input. The request describes a table of {} rows and {} columns ({} cells, missing ones included), more than the limit of {} elements",
            rows, cols, rows.saturating_mul(cols), max
        )));
    }
    Ok(())
}

const SPLIT_INVALID: &str = "Invalid input. Provided dataframe_split field is not a valid dataframe representation in 'split' format. Error: ";

/// `dataframe_split` (spec 4.3). Only the columns `keep` names are materialised (all when
/// `None`); `max` bounds the dense size of a frame whose short rows are padded.
pub fn from_split<'v, 'a>(
    v: &'v Value<'a>,
    keep: Option<&NameIndex>,
    max: usize,
) -> Result<Frame<'v, 'a>, Failure> {
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
    match v.get("columns") {
        None | Some(Value::Null) => {
            let ncols = rows.iter().map(width).max().unwrap_or(0);
            if keep.is_none() {
                check_cells(nrows, ncols, max)?;
            }
            labels.extend((0..ncols).map(Label::Pos));
        }
        Some(Value::Array(names)) => {
            for n in names {
                match n {
                    Value::String(s) => labels.push(Label::Name(s)),
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
            if let Some(j) = NameIndex::of_labels(&labels).first_duplicate() {
                return Err(Failure::bad(format!(
                    "{}column {} appears twice",
                    SPLIT_INVALID,
                    labels[j].quoted()
                )));
            }
            let ncols = labels.len();
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
    // Which request columns become frame columns; the rest are only named in messages.
    let mut kept: Vec<usize> = Vec::new();
    let mut dropped = Vec::new();
    let mut kept_labels = Vec::new();
    for (j, l) in labels.iter().enumerate() {
        let wanted = match keep {
            None => true,
            Some(k) => matches!(l, Label::Name(n) if k.find(n).is_some()),
        };
        if wanted {
            kept.push(j);
            kept_labels.push(*l);
        } else {
            dropped.push((*l, nrows));
        }
    }
    let mut cols: Vec<Vec<&'v Value<'a>>> =
        kept.iter().map(|_| Vec::with_capacity(nrows)).collect();
    for r in rows {
        match r {
            Value::Array(cells) => {
                for (col, &j) in cols.iter_mut().zip(&kept) {
                    col.push(cells.get(j).unwrap_or(&NULL));
                }
            }
            scalar => {
                for (col, &j) in cols.iter_mut().zip(&kept) {
                    col.push(if j == 0 { scalar } else { &NULL });
                }
            }
        }
    }
    Ok(Frame {
        labels: kept_labels,
        cols,
        rows: nrows,
        dropped,
    })
}

/// Where a record key's values go while a frame is built from records.
#[derive(Clone, Copy)]
enum Slot {
    Col(usize),
    Dropped(usize),
}

/// A list of records (`dataframe_records`, or `inputs`/`instances` given records): missing
/// keys are missing values, columns in first-seen order. Keys are looked up in a sorted map
/// (O(log k) each); only the columns `keep` names are materialised (all when `None`, then
/// rows x columns must stay within `max`).
pub fn from_records<'v, 'a>(
    records: &'v [Value<'a>],
    keep: Option<&NameIndex>,
    max: usize,
) -> Result<Frame<'v, 'a>, Failure> {
    let rows = records.len();
    let mut labels: Vec<Label<'v>> = Vec::new();
    let mut cols: Vec<Vec<&'v Value<'a>>> = Vec::new();
    let mut dropped: Vec<(Label<'v>, usize)> = Vec::new();
    let mut slots: BTreeMap<&'v str, Slot> = BTreeMap::new();
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
        for (k, x) in members {
            let k: &'v str = k.as_ref();
            let slot = match slots.get(k) {
                Some(s) => *s,
                None => {
                    let wanted = keep.map(|i| i.find(k).is_some()).unwrap_or(true);
                    let s = if wanted {
                        if keep.is_none() {
                            check_cells(rows, cols.len() + 1, max)?;
                        }
                        labels.push(Label::Name(k));
                        let mut col = Vec::with_capacity(rows);
                        col.resize(r, &NULL);
                        cols.push(col);
                        Slot::Col(cols.len() - 1)
                    } else {
                        dropped.push((Label::Name(k), 0));
                        Slot::Dropped(dropped.len() - 1)
                    };
                    slots.insert(k, s);
                    s
                }
            };
            match slot {
                Slot::Col(j) => {
                    let col = &mut cols[j];
                    if col.len() < r {
                        col.resize(r, &NULL);
                    }
                    col.push(x);
                }
                Slot::Dropped(d) => dropped[d].1 += 1,
            }
        }
    }
    for col in cols.iter_mut() {
        col.resize(rows, &NULL);
    }
    Ok(Frame {
        labels,
        cols,
        rows,
        dropped,
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
                spec: None,
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
                spec: None,
                name: Some(name),
                dtype: DType::Object,
                shape: vec![rows],
                data: ColData::Json(out, rows),
            }
        }
    }
}

/// Matches frame columns to a column signature (spec 3.3): by name for a named signature,
/// else by position. Returns (spec index, column index) pairs in signature order; a missing
/// required column (or too few columns) is recorded in `problems`, naming the extras.
pub fn plan(
    specs: &[ColSpec],
    labels: &[Label],
    dropped: &[(Label, usize)],
    problems: &mut Problems,
) -> Vec<(usize, usize)> {
    let named = specs.first().map(|s| s.name.is_some()).unwrap_or(false);
    if !named {
        if labels.len() < specs.len() {
            problems.push(
                Code::InvalidParameterValue,
                format!(
                    "Model inference is missing inputs. The model signature declares {} inputs  but the provided value only has {} inputs. Note: the inputs were not named in the signature so we can only verify their count.",
                    specs.len(),
                    labels.len()
                ),
            );
            return Vec::new();
        }
        return (0..specs.len()).map(|j| (j, j)).collect();
    }
    let mut missing: Vec<String> = Vec::new();
    let mut matched = Vec::with_capacity(specs.len());
    let by_label = NameIndex::of_labels(labels);
    for (k, spec) in specs.iter().enumerate() {
        let name = spec.name.as_deref().unwrap_or("");
        match by_label.find(name) {
            Some(j) => matched.push((k, j)),
            None if spec.required => missing.push(format!("'{}'", name)),
            None => {}
        }
    }
    if !missing.is_empty() {
        let by_spec = spec_index(specs);
        let in_spec = |l: &Label| match (l, &by_spec) {
            (Label::Name(n), Some(i)) => i.find(n).is_some(),
            _ => false,
        };
        let extras: Vec<String> = labels
            .iter()
            .filter(|l| !in_spec(l))
            .chain(dropped.iter().map(|(l, _)| l))
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
    matched
}

/// Matches a frame to a column signature (spec 3.3) and converts the matched columns.
pub fn enforce(
    specs: &[ColSpec],
    frame: &Frame,
    path: Path,
    problems: &mut Problems,
) -> Vec<Entry> {
    enforce_with(specs, frame, path, problems, &mut [])
}

/// [`enforce`], where `direct[j]` (when given) is column `j` already in its spec's own dtype,
/// with every value one the cast keeps unchanged (a V2 binary buffer of that dtype): it is
/// taken as it is instead of converting `frame.cols[j]`, which the caller left empty.
pub fn enforce_with(
    specs: &[ColSpec],
    frame: &Frame,
    path: Path,
    problems: &mut Problems,
    direct: &mut [Option<(ColData, DType)>],
) -> Vec<Entry> {
    plan(specs, &frame.labels, &frame.dropped, problems)
        .into_iter()
        .map(|(k, j)| {
            let (spec, label) = (&specs[k], frame.labels[j]);
            if let Some((data, dtype)) = direct.get_mut(j).and_then(|x| x.take()) {
                if matches!(&spec.ty, Ty::Scalar(t) if t.dtype() == dtype) {
                    return Entry {
                        spec: None,
                        name: Some(label.text()),
                        dtype,
                        shape: vec![frame.rows],
                        data,
                    };
                }
                // The caller matched the buffer to this very spec: not reached.
                problems.push(
                    Code::BadRequest,
                    format!("Column {} could not be read.", label.quoted()),
                );
            }
            column(
                label.text(),
                &label.quoted(),
                &spec.ty,
                spec.required,
                &frame.cols[j],
                path,
                problems,
            )
        })
        .collect()
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
                spec: None,
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
    frame
        .labels
        .iter()
        .zip(&frame.cols)
        .map(|(label, cells)| infer_column(*label, cells, path, problems))
        .collect()
}

/// One column with pandas' own inference (no signature).
pub fn infer_column(label: Label, cells: &[&Value], path: Path, problems: &mut Problems) -> Entry {
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
    Entry {
        spec: None,
        name: Some(label.text()),
        dtype,
        shape: vec![cells.len()],
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{parse, Limits};

    #[test]
    fn name_index_finds_first_positions_and_duplicates() {
        let idx = NameIndex::new(["b", "a", "c", "a", "b"]);
        assert_eq!(idx.find("a"), Some(1));
        assert_eq!(idx.find("b"), Some(0));
        assert_eq!(idx.find("z"), None);
        assert_eq!(idx.first_duplicate(), Some(3));
        assert_eq!(NameIndex::new(["x", "y"]).first_duplicate(), None);
    }

    #[test]
    fn records_keep_only_wanted_columns_and_count_dropped_ones() {
        let doc = parse(
            br#"[{"a": 1, "x": 2}, {"y": 3, "a": 4}, {"x": 5}]"#,
            &Limits::default(),
        )
        .unwrap();
        let records = match &doc {
            Value::Array(r) => r,
            _ => unreachable!(),
        };
        let keep = NameIndex::new(["a"]);
        let fr = from_records(records, Some(&keep), 100).unwrap();
        assert_eq!(fr.labels, vec![Label::Name("a")]);
        assert_eq!(fr.cols[0].len(), 3);
        assert!(std::ptr::eq(fr.cols[0][2], &NULL));
        assert_eq!(
            fr.dropped,
            vec![(Label::Name("x"), 2), (Label::Name("y"), 1)]
        );
        // Without a filter the dense table is bounded by the element limit.
        assert!(from_records(records, None, 9).is_ok());
        assert!(from_records(records, None, 8).is_err());
    }

    /// 100,000 distinct keys, one per record: linear work with a filter, refused without one
    /// when the dense table would pass the limit (it would hold 10^10 cells).
    #[test]
    fn sparse_records_are_not_quadratic() {
        let n = 100_000;
        let body: String = (0..n)
            .map(|i| format!("{{\"a\": {}, \"k{}\": 1}}", i, i))
            .collect::<Vec<_>>()
            .join(",");
        let text = format!("[{}]", body);
        let doc = parse(text.as_bytes(), &Limits::default()).unwrap();
        let records = match &doc {
            Value::Array(r) => r,
            _ => unreachable!(),
        };
        let keep = NameIndex::new(["a"]);
        let fr = from_records(records, Some(&keep), 10_000_000).unwrap();
        assert_eq!((fr.rows, fr.cols.len(), fr.dropped.len()), (n, 1, n));
        assert!(from_records(records, None, 10_000_000).is_err());
    }
}
