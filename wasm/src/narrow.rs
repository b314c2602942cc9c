//! The float64 -> float32 cast the runtime applies for graph inputs declared `tensor(float)`
//! (MLflow's onnx flavor does the same): rounding to float32 is the model's declared precision,
//! but a finite value beyond float32's range would silently become infinity, so it is refused
//! under lossless-or-loud, naming the column (or tensor), the row and the value.

use crate::cells::ColData;
use crate::jsonout::{python_float_repr, show_str};
use crate::output::{Kind, Validated};
use crate::problems::{Code, Failure, Problems};
use crate::schema::Inputs;

/// Which validated entries the runtime will cast from float64 to float32.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Float32Targets {
    /// No float32 graph input takes float64 data (or the host did not say).
    #[default]
    None,
    /// Every entry: a one-input graph whose input is `tensor(float)`.
    All,
    /// The entries of these names (sorted): float32 inputs of a multi-input graph.
    Names(Vec<String>),
}

impl Float32Targets {
    /// Reads the host's description: `all`, or the names of the float32 inputs.
    pub fn new(all: bool, names: Vec<String>) -> Float32Targets {
        if all {
            Float32Targets::All
        } else if names.is_empty() {
            Float32Targets::None
        } else {
            let mut names = names;
            names.sort_unstable();
            Float32Targets::Names(names)
        }
    }

    fn covers(&self, name: Option<&str>) -> bool {
        match (self, name) {
            (Float32Targets::All, _) => true,
            (Float32Targets::Names(names), Some(n)) => {
                names.binary_search_by(|x| x.as_str().cmp(n)).is_ok()
            }
            _ => false,
        }
    }
}

/// Refuses float64 values that the cast to float32 would turn from finite into infinite.
pub fn check(
    v: &Validated,
    inputs: &Inputs,
    targets: &Float32Targets,
    max_errors: usize,
) -> Result<(), Failure> {
    if *targets == Float32Targets::None {
        return Ok(());
    }
    let mut problems = Problems::new(max_errors);
    for e in &v.entries {
        let values = match &e.data {
            ColData::F64(values) if targets.covers(e.name_in(inputs)) => values,
            _ => continue,
        };
        let inner: usize = e.shape.iter().skip(1).product::<usize>().max(1);
        for (i, x) in values.iter().enumerate() {
            if !(x.is_finite() && (*x as f32).is_infinite()) {
                continue;
            }
            let at = match (v.kind, e.name_in(inputs)) {
                (Kind::Columns, Some(n)) => format!("in column {} at row {}", show_str(n), i),
                (Kind::Columns, None) => format!("in column {} at row {}", i / inner, i),
                (Kind::Tensors, Some(n)) => {
                    format!("in tensor {} at row {}", show_str(n), i / inner)
                }
                (Kind::Tensors, None) => format!("in the input tensor at row {}", i / inner),
            };
            problems.push(
                Code::InvalidParameterValue,
                format!(
                    "Cannot convert {} {} to float32 for the model's tensor(float) input: it is beyond the range of float32, where the cast would silently turn it into infinity",
                    python_float_repr(*x),
                    at
                ),
            );
            if problems.full() {
                break;
            }
        }
    }
    match problems.into_failure() {
        Some(f) => Err(f),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::{Entry, Format};
    use crate::schema::DType;

    fn one(name: Option<&str>, kind: Kind, values: Vec<f64>, shape: Vec<usize>) -> Validated {
        Validated {
            kind,
            format: Format::Split,
            rows: shape[0],
            params: None,
            entries: vec![Entry {
                spec: None,
                name: name.map(|s| s.to_string()),
                dtype: DType::F64,
                shape,
                data: ColData::F64(values),
            }],
        }
    }

    #[test]
    fn refuses_finite_values_beyond_float32_and_names_them() {
        let v = one(
            Some("x"),
            Kind::Columns,
            vec![
                1.5,
                3.5e38,
                f64::INFINITY,
                f64::NAN,
                1e300,
                3.4028234663852886e38,
            ],
            vec![6],
        );
        let f = check(&v, &Inputs::None, &Float32Targets::All, 20).unwrap_err();
        assert_eq!(f.code, Code::InvalidParameterValue);
        assert!(
            f.message.contains("3.5e+38 in column \"x\" at row 1"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("1e+300 in column \"x\" at row 4"),
            "{}",
            f.message
        );
        // Infinity and NaN were never finite; float32's largest value survives the cast.
        assert!(!f.message.contains("row 2") && !f.message.contains("row 3"));
        assert!(!f.message.contains("row 5"), "{}", f.message);
        assert!(check(&v, &Inputs::None, &Float32Targets::None, 20).is_ok());
        assert!(check(
            &v,
            &Inputs::None,
            &Float32Targets::new(false, vec!["y".into()]),
            20
        )
        .is_ok());
        assert!(check(
            &v,
            &Inputs::None,
            &Float32Targets::new(false, vec!["x".into()]),
            20
        )
        .is_err());
    }

    #[test]
    fn tensor_rows_count_the_first_axis() {
        let v = one(None, Kind::Tensors, vec![0.0, 0.0, 0.0, 1e39], vec![2, 2]);
        let f = check(&v, &Inputs::None, &Float32Targets::All, 20).unwrap_err();
        assert!(
            f.message.contains("1e+39 in the input tensor at row 1"),
            "{}",
            f.message
        );
    }
}
