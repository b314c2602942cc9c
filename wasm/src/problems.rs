//! Errors as data: every refusal is a code (MLflow's `error_code`) and a message, and a
//! request's violations are collected up to a cap instead of stopping at the first.

use std::fmt::Write;

/// MLflow's error codes used by enforcement (both answer HTTP 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// Envelope, JSON/CSV and parse-step (casting) failures.
    BadRequest,
    /// Schema and params enforcement failures, and lossless-or-loud refusals.
    InvalidParameterValue,
}

impl Code {
    /// MLflow's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadRequest => "BAD_REQUEST",
            Code::InvalidParameterValue => "INVALID_PARAMETER_VALUE",
        }
    }
}

/// A finished refusal: what the client receives. The crate's one request-level error type
/// (the parsers' [`crate::json::ParseError`] carries a byte offset and becomes a `Failure`
/// with MLflow's wording where a request is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: Code,
    pub message: String,
}

impl Failure {
    pub fn bad(message: impl Into<String>) -> Failure {
        Failure {
            code: Code::BadRequest,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Failure {
        Failure {
            code: Code::InvalidParameterValue,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    /// `BAD_REQUEST: <message>`, as a log line would show it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Failure {}

/// Collects violations (up to `cap`) so one answer can name all of them.
#[derive(Debug)]
pub struct Problems {
    items: Vec<(Code, String)>,
    cap: usize,
    total: usize,
}

impl Problems {
    pub fn new(cap: usize) -> Problems {
        Problems {
            items: Vec::new(),
            cap: cap.max(1),
            total: 0,
        }
    }

    pub fn push(&mut self, code: Code, message: String) {
        self.total += 1;
        if self.items.len() < self.cap {
            self.items.push((code, message));
        }
    }

    pub fn add(&mut self, f: Failure) {
        self.push(f.code, f.message);
    }

    /// The most violations one message names.
    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// True once more violations than the cap were seen: scanning can stop, the message says
    /// "at least".
    pub fn full(&self) -> bool {
        self.total > self.cap
    }

    /// One failure naming every collected violation. Parse-step codes (`BAD_REQUEST`) win, as
    /// in MLflow, where the cast runs before enforcement.
    pub fn into_failure(self) -> Option<Failure> {
        if self.items.is_empty() {
            return None;
        }
        let code = if self.items.iter().any(|(c, _)| *c == Code::BadRequest) {
            Code::BadRequest
        } else {
            Code::InvalidParameterValue
        };
        if self.items.len() == 1 && self.total == 1 {
            let mut items = self.items;
            let (_, message) = items.remove(0);
            return Some(Failure { code, message });
        }
        let mut message = String::new();
        if self.total > self.items.len() {
            let _ = write!(
                message,
                "The request has at least {} problems (the first {} are listed):",
                self.total,
                self.items.len()
            );
        } else {
            let _ = write!(message, "The request has {} problems:", self.total);
        }
        for (i, (_, m)) in self.items.iter().enumerate() {
            let _ = write!(message, " ({}) {}", i + 1, m);
            if !m.ends_with('.') {
                message.push('.');
            }
        }
        Some(Failure { code, message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_problem_keeps_its_message() {
        let mut p = Problems::new(20);
        p.push(
            Code::InvalidParameterValue,
            "Model is missing inputs ['b'].".into(),
        );
        let f = p.into_failure().unwrap();
        assert_eq!(f.code, Code::InvalidParameterValue);
        assert_eq!(f.message, "Model is missing inputs ['b'].");
    }

    #[test]
    fn bad_request_wins_and_all_are_listed() {
        let mut p = Problems::new(2);
        p.push(Code::InvalidParameterValue, "a".into());
        p.push(Code::BadRequest, "b".into());
        assert!(!p.full());
        p.push(Code::BadRequest, "c".into());
        assert!(p.full());
        let f = p.into_failure().unwrap();
        assert_eq!(f.code, Code::BadRequest);
        assert_eq!(
            f.message,
            "The request has at least 3 problems (the first 2 are listed): (1) a. (2) b."
        );
    }
}
