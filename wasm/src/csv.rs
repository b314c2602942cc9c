//! A CSV tokenizer that splits a body the way `pandas.read_csv` (C engine, default options)
//! does, so `text/csv` requests see the same cells MLflow's scoring server sees.
//!
//! What is reproduced: comma delimiter; `"` quoting with `""` as an escaped quote; quote
//! characters inside an unquoted cell are literal; text after a closing quote is appended to the
//! cell (`"ab"c` is `abc`); LF, CRLF and lone CR line ends; line breaks inside quotes belong to
//! the cell; blank and whitespace-only lines are skipped; a UTF-8 byte order mark is dropped;
//! rows shorter than the header get empty (missing) cells; empty header names become
//! `Unnamed: i` and repeated names get `.1`, `.2` suffixes. Errors use pandas' wording.
//!
//! One deliberate difference: when the first data row has more cells than the header, pandas
//! silently turns the extra leading cells into the DataFrame index; that is refused here with
//! pandas' "Expected N fields" message, like any later over-long row. pandas' quirks with lone
//! CR line ends (a delimiter right after a CR-only blank line is dropped; a whitespace-only line
//! after a CR re-reads the CR) are not reproduced: a lone CR is simply a line end here.
//! Line numbers in messages count physical lines, blank ones included, with a quoted cell's
//! line breaks not counted, as pandas counts them.
//!
//! Type inference is not done here: cells stay text, with a flag for quoted cells.

use crate::json::{Limits, ParseError};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One cell: its text (quotes removed, `""` unescaped) and whether it was quoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvCell<'a> {
    /// The cell's text; borrowed from the input unless it had `""` or text after the quotes.
    pub text: Cow<'a, str>,
    /// True when the cell started with a quote.
    pub quoted: bool,
}

/// A tokenized CSV body: the header (after pandas' renaming) and the data rows.
///
/// Cells live in one flat list and rows are ranges of it: a short row stores only the cells
/// it has (the rest read as empty, missing cells), so a wide header over thousands of short
/// rows costs memory in proportion to the body, not to rows x columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csv<'a> {
    /// Column names in order; unique.
    pub header: Vec<Cow<'a, str>>,
    cells: Vec<CsvCell<'a>>,
    /// Where each row starts in `cells`, plus the end: `rows() + 1` entries.
    starts: Vec<u32>,
}

impl<'a> Csv<'a> {
    /// The number of data rows.
    pub fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// The cells row `r` has (at most `header.len()`; missing trailing cells are absent).
    pub fn row(&self, r: usize) -> &[CsvCell<'a>] {
        &self.cells[self.starts[r] as usize..self.starts[r + 1] as usize]
    }

    /// The text of row `r`, column `j`: `""` for a cell the row does not have.
    pub fn text(&self, r: usize, j: usize) -> &str {
        self.row(r).get(j).map(|c| c.text.as_ref()).unwrap_or("")
    }
}

/// Prefix of pandas' tokenizer errors (`pandas.errors.ParserError`).
const C_ERROR: &str = "Error tokenizing data. C error: ";

/// Tokenizes a CSV body.
///
/// `limits.max_elements` bounds the number of cells (header included) and
/// `limits.max_string_bytes` the length of one cell; `max_depth` is not used.
pub fn parse_csv<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Csv<'a>, ParseError> {
    let src = crate::json::utf8(bytes)?;
    let mut t = Tokenizer {
        src,
        b: bytes,
        pos: if src.starts_with('\u{feff}') { 3 } else { 0 },
        line: 1,
        record_start: 0,
        record_line: 1,
        cells: 0,
        limits,
    };
    let mut header_cells = Vec::new();
    if !t.record(&mut header_cells)? {
        return Err(ParseError::new("No columns to parse from file", t.pos));
    }
    let header = header_names(header_cells);
    let width = header.len();
    let mut cells: Vec<CsvCell<'a>> = Vec::new();
    let mut starts: Vec<u32> = vec![0];
    while t.record(&mut cells)? {
        let (record_start, record_line) = (t.record_start, t.record_line);
        let start = *starts.last().unwrap_or(&0) as usize;
        let n = cells.len() - start;
        if n > width {
            return Err(ParseError::new(
                format!(
                    "{}Expected {} fields in line {}, saw {}",
                    C_ERROR, width, record_line, n
                ),
                record_start,
            ));
        }
        // Missing cells are counted (they are cells of the frame pandas builds), not stored.
        for _ in n..width {
            t.count_cell(record_start)?;
        }
        if cells.len() > u32::MAX as usize {
            return Err(ParseError::new("CSV has too many cells", record_start));
        }
        starts.push(cells.len() as u32);
    }
    Ok(Csv {
        header,
        cells,
        starts,
    })
}

/// pandas' header clean-up: `Unnamed: i` for empty names, `.n` suffixes for repeats.
fn header_names(cells: Vec<CsvCell<'_>>) -> Vec<Cow<'_, str>> {
    let mut names: Vec<Cow<'_, str>> = Vec::with_capacity(cells.len());
    for (i, cell) in cells.into_iter().enumerate() {
        if cell.text.is_empty() {
            names.push(Cow::Owned(format!("Unnamed: {}", i)));
        } else {
            names.push(cell.text);
        }
    }
    // Same algorithm as pandas' dedup_names: counts per name, bump until unused.
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for name in names.iter_mut() {
        let mut col = name.to_string();
        let mut cur = counts.get(&col).copied().unwrap_or(0);
        if cur > 0 {
            while cur > 0 {
                counts.insert(col.clone(), cur + 1);
                col = format!("{}.{}", col, cur);
                cur = counts.get(&col).copied().unwrap_or(0);
            }
            *name = Cow::Owned(col.clone());
        }
        counts.insert(col, cur + 1);
    }
    names
}

struct Tokenizer<'a, 'l> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    /// 1-based line number as pandas counts it: every line end outside quotes, blank lines
    /// included, line breaks inside quoted cells not.
    line: usize,
    /// Where the last record read started (after the blank lines before it), and its line.
    record_start: usize,
    record_line: usize,
    cells: usize,
    limits: &'l Limits,
}

impl<'a, 'l> Tokenizer<'a, 'l> {
    fn count_cell(&mut self, at: usize) -> Result<(), ParseError> {
        self.cells += 1;
        if self.cells > self.limits.max_elements {
            return Err(ParseError::new(
                format!("CSV has more than {} cells", self.limits.max_elements),
                at,
            ));
        }
        Ok(())
    }

    fn check_len(&self, len: usize, at: usize) -> Result<(), ParseError> {
        if len > self.limits.max_string_bytes {
            return Err(ParseError::new(
                format!(
                    "CSV cell longer than {} bytes",
                    self.limits.max_string_bytes
                ),
                at,
            ));
        }
        Ok(())
    }

    /// Consumes one line end (LF, CRLF or CR) at `pos`, if there is one.
    fn line_end(&mut self) -> bool {
        match self.b.get(self.pos) {
            Some(b'\n') => self.pos += 1,
            Some(b'\r') => {
                self.pos += 1;
                if self.b.get(self.pos) == Some(&b'\n') {
                    self.pos += 1;
                }
            }
            _ => return false,
        }
        self.line += 1;
        true
    }

    /// Skips blank and whitespace-only lines; false at the end of input.
    fn skip_blank_lines(&mut self) -> bool {
        loop {
            let mut i = self.pos;
            while i < self.b.len() && (self.b[i] == b' ' || self.b[i] == b'\t') {
                i += 1;
            }
            if i == self.b.len() {
                self.pos = i;
                return false;
            }
            if self.b[i] != b'\n' && self.b[i] != b'\r' {
                return true;
            }
            self.pos = i;
            self.line_end();
        }
    }

    /// Reads one record into `out`; false when only blank lines remained.
    fn record(&mut self, out: &mut Vec<CsvCell<'a>>) -> Result<bool, ParseError> {
        if !self.skip_blank_lines() {
            return Ok(false);
        }
        self.record_start = self.pos;
        self.record_line = self.line;
        loop {
            let start = self.pos;
            self.count_cell(start)?;
            let cell = if self.b[start..].first() == Some(&b'"') {
                self.quoted_cell()?
            } else {
                let mut i = start;
                while i < self.b.len() && !matches!(self.b[i], b',' | b'\n' | b'\r') {
                    i += 1;
                }
                self.check_len(i - start, start)?;
                self.pos = i;
                CsvCell {
                    text: Cow::Borrowed(&self.src[start..i]),
                    quoted: false,
                }
            };
            out.push(cell);
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                None => return Ok(true),
                Some(_) => {
                    self.line_end();
                    return Ok(true);
                }
            }
        }
    }

    /// Reads a cell that starts with a quote, leaving `pos` on the delimiter or line end.
    fn quoted_cell(&mut self) -> Result<CsvCell<'a>, ParseError> {
        let open = self.pos;
        let b = self.b;
        let mut i = open + 1;
        let mut owned: Option<String> = None;
        let mut run = i;
        loop {
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            if i == b.len() {
                return Err(ParseError::new(
                    format!(
                        "{}EOF inside string starting at row {}",
                        C_ERROR,
                        self.line - 1
                    ),
                    open,
                ));
            }
            // b[i] is a quote: either "" (an escaped quote) or the closing quote.
            if b.get(i + 1) == Some(&b'"') {
                let s = owned.get_or_insert_with(String::new);
                s.push_str(&self.src[run..=i]);
                i += 2;
                run = i;
                self.check_len(s.len(), open)?;
                continue;
            }
            break;
        }
        let close = i;
        i += 1;
        // pandas keeps reading an unquoted tail after the closing quote into the same cell.
        let tail_start = i;
        while i < b.len() && !matches!(b[i], b',' | b'\n' | b'\r') {
            i += 1;
        }
        self.pos = i;
        let text = match owned {
            None if tail_start == i => Cow::Borrowed(&self.src[open + 1..close]),
            owned => {
                let mut s = owned.unwrap_or_default();
                s.push_str(&self.src[run..close]);
                s.push_str(&self.src[tail_start..i]);
                Cow::Owned(s)
            }
        };
        self.check_len(text.len(), open)?;
        Ok(CsvCell { text, quoted: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Csv<'_> {
        parse_csv(s.as_bytes(), &Limits::default()).unwrap_or_else(|e| panic!("{:?}: {}", s, e))
    }

    fn fail(s: &str) -> ParseError {
        match parse_csv(s.as_bytes(), &Limits::default()) {
            Ok(v) => panic!("{:?} parsed as {:?}", s, v),
            Err(e) => e,
        }
    }

    fn texts(csv: &Csv<'_>) -> Vec<Vec<String>> {
        (0..csv.rows())
            .map(|r| {
                (0..csv.header.len())
                    .map(|j| csv.text(r, j).to_string())
                    .collect()
            })
            .collect()
    }

    fn header(csv: &Csv<'_>) -> Vec<String> {
        csv.header.iter().map(|h| h.to_string()).collect()
    }

    #[test]
    fn splits_a_simple_body_with_or_without_a_trailing_newline() {
        for body in [
            "a,b\n1,2\n3,4\n",
            "a,b\n1,2\n3,4",
            "a,b\r\n1,2\r\n3,4\r\n",
            "a,b\r1,2\r3,4",
        ] {
            let csv = ok(body);
            assert_eq!(header(&csv), ["a", "b"], "{:?}", body);
            assert_eq!(texts(&csv), [["1", "2"], ["3", "4"]], "{:?}", body);
        }
    }

    #[test]
    fn unquoted_cells_borrow_from_the_input() {
        let csv = ok("x\nabc\n");
        assert!(matches!(csv.row(0)[0].text, Cow::Borrowed("abc")));
        assert!(!csv.row(0)[0].quoted);
    }

    #[test]
    fn handles_rfc4180_quoting() {
        let csv = ok("a,b\n\"x, y\",\"he said \"\"hi\"\"\"\n\"multi\nline\",\"\"\n");
        assert_eq!(
            texts(&csv),
            [["x, y", "he said \"hi\""], ["multi\nline", ""]]
        );
        assert!(csv.row(0)[0].quoted && csv.row(1)[1].quoted);
        assert!(matches!(csv.row(0)[0].text, Cow::Borrowed("x, y")));
        // A quote inside an unquoted cell is literal; text after a closing quote is appended.
        let csv = ok("a,b\nab\"c,\"q\"r\"s\n");
        assert_eq!(texts(&csv), [["ab\"c", "qr\"s"]]);
        assert!(!csv.row(0)[0].quoted && csv.row(0)[1].quoted);
        // Quoted header names.
        assert_eq!(header(&ok("\"a,1\",b\n1,2\n")), ["a,1", "b"]);
    }

    #[test]
    fn skips_blank_and_whitespace_only_lines() {
        let csv = ok("\n\na,b\n\n1,2\n \t\n\r\n3,4\n\n\n");
        assert_eq!(header(&csv), ["a", "b"]);
        assert_eq!(texts(&csv), [["1", "2"], ["3", "4"]]);
        // A line of commas is not blank, and leading spaces are kept in cells.
        let csv = ok("a,b\n,\n 1,2 \n");
        assert_eq!(texts(&csv), [["", ""], [" 1", "2 "]]);
    }

    #[test]
    fn pads_short_rows_with_missing_cells() {
        let csv = ok("a,b,c\n1\n1,2\n");
        assert_eq!(texts(&csv), [["1", "", ""], ["1", "2", ""]]);
        assert_eq!((csv.row(0).len(), csv.row(1).len()), (1, 2)); // stored without padding
    }

    #[test]
    fn refuses_long_rows_like_pandas() {
        let e = fail("a,b\n1,2\n1,2,3\n");
        assert_eq!(
            e.message,
            "Error tokenizing data. C error: Expected 2 fields in line 3, saw 3"
        );
        assert_eq!(e.offset, 8);
        // Blank lines count towards the line number; quoted line breaks do not.
        let e = fail("a,b\n\n\"1\n\",2\n1,2,3,4\n");
        assert_eq!(
            e.message,
            "Error tokenizing data. C error: Expected 2 fields in line 4, saw 4"
        );
        // Blank lines right before the long row count too.
        let e = fail("a,b,c\n1,2,x\r\n\n3,4,,.5,y\n");
        assert_eq!(
            e.message,
            "Error tokenizing data. C error: Expected 3 fields in line 4, saw 5"
        );
        assert_eq!(e.offset, 14);
        // The first data row too (pandas would silently make it the index).
        let e = fail("a,b\n1,2,3\n");
        assert_eq!(
            e.message,
            "Error tokenizing data. C error: Expected 2 fields in line 2, saw 3"
        );
    }

    #[test]
    fn refuses_an_unclosed_quote_like_pandas() {
        let e = fail("a,b,c\ncat,foo,bar\ndog,foo,\"baz");
        assert_eq!(
            e.message,
            "Error tokenizing data. C error: EOF inside string starting at row 2"
        );
        assert_eq!(e.offset, 26);
        let e = fail("a,b,c\n1,2,\"3");
        assert_eq!(
            e.message,
            "Error tokenizing data. C error: EOF inside string starting at row 1"
        );
        fail("\"a");
        fail("a\n\"x\"\"");
    }

    #[test]
    fn refuses_an_empty_body() {
        for body in ["", "\n", "\r\n\r\n", "  \n\t\n", "\u{feff}"] {
            assert_eq!(
                fail(body).message,
                "No columns to parse from file",
                "{:?}",
                body
            );
        }
    }

    #[test]
    fn a_header_alone_gives_no_rows() {
        let csv = ok("a,b\n");
        assert_eq!(header(&csv), ["a", "b"]);
        assert_eq!(csv.rows(), 0);
    }

    #[test]
    fn renames_empty_and_repeated_header_names_as_pandas_does() {
        assert_eq!(
            header(&ok(",a,\n1,2,3\n")),
            ["Unnamed: 0", "a", "Unnamed: 2"]
        );
        assert_eq!(header(&ok("a,a,a\n")), ["a", "a.1", "a.2"]);
        assert_eq!(header(&ok("a,a,a.1\n")), ["a", "a.1", "a.1.1"]);
        assert_eq!(header(&ok("a.1,a,a\n")), ["a.1", "a", "a.1.1"]);
    }

    #[test]
    fn drops_a_byte_order_mark() {
        assert_eq!(header(&ok("\u{feff}a,b\n1,2")), ["a", "b"]);
    }

    #[test]
    fn refuses_invalid_utf8() {
        let e = parse_csv(b"a\n\xff\n", &Limits::default()).unwrap_err();
        assert_eq!(e.offset, 2);
        assert!(e.message.contains("Invalid UTF-8"));
    }

    #[test]
    fn enforces_cell_count_and_cell_length_limits() {
        let limits = Limits {
            max_elements: 4,
            max_string_bytes: 3,
            ..Limits::default()
        };
        assert!(parse_csv(b"a,b\n1,2\n", &limits).is_ok());
        let e = parse_csv(b"a,b\n1,2\n3,4\n", &limits).unwrap_err();
        assert_eq!(e.message, "CSV has more than 4 cells");
        // Padding cells count too.
        assert!(parse_csv(b"a,b\n1\n3\n", &limits).is_err());
        let e = parse_csv(b"a\nabcd\n", &limits).unwrap_err();
        assert_eq!(e.message, "CSV cell longer than 3 bytes");
        assert_eq!(e.offset, 2);
        assert!(parse_csv(b"a\n\"ab\"\"c\"\n", &limits).is_err());
        assert!(parse_csv(b"a\n\"abc\"\n", &limits).is_ok());
        assert!(parse_csv(b"a\n\"ab\"cd\n", &limits).is_err());
    }

    /// Mutated bodies never panic, and every row always has the header's width.
    #[test]
    fn survives_seeded_random_mutations() {
        let seeds: [&[u8]; 3] = [
            b"a,b,c\n1,2.5,x\n\"q,\"\"r\",,\n3,NaN,\"multi\nline\"\n",
            b"\xef\xbb\xbfcol1,col2\r\n\r\n1,2\r\n",
            b"s\n\"caf\xc3\xa9\"\n\n",
        ];
        let tokens: [&[u8]; 7] = [b",", b"\"", b"\"\"", b"\n", b"\r", b"\xff", b" "];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let limits = Limits {
            max_depth: 1,
            max_elements: 40,
            max_string_bytes: 12,
        };
        for _ in 0..20_000 {
            let mut doc = seeds[next() as usize % seeds.len()].to_vec();
            for _ in 0..1 + next() % 4 {
                let at = next() as usize % (doc.len() + 1);
                match next() % 3 {
                    0 if at < doc.len() => {
                        doc.remove(at);
                    }
                    1 if at < doc.len() => doc[at] = next() as u8,
                    _ => {
                        let t = tokens[next() as usize % tokens.len()];
                        doc.splice(at..at, t.iter().copied());
                    }
                }
            }
            if let Ok(csv) = parse_csv(&doc, &limits) {
                assert!(!csv.header.is_empty());
                assert!((0..csv.rows()).all(|r| csv.row(r).len() <= csv.header.len()));
            }
        }
    }
}
