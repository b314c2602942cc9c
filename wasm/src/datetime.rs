//! ISO-8601 date-times (the subset pandas and numpy read from JSON strings) to epoch
//! nanoseconds, naive, read as UTC.

/// Why a text is not a usable datetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtError {
    /// Not a date-time text.
    Invalid,
    /// Has a zone (`Z`, `+01:00`); MLflow (pandas >= 2) refuses tz-aware data.
    TzAware,
    /// Outside datetime64[ns]'s range (1677-09-21 .. 2262-04-11).
    OutOfRange,
}

/// A parsed date-time: epoch nanoseconds, whether a time part was written, and how many
/// fraction digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    pub ns: i64,
    pub has_time: bool,
    pub frac_digits: usize,
}

/// NaT as numpy stores it.
pub const NAT: i64 = i64::MIN;

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let s = b.get(at..at + n)?;
    let mut v: i64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    Some(v)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 {
                29
            } else {
                28
            }
        }
    }
}

/// The eight bytes at `at` as a little-endian word (the caller checked the length).
#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Whether every byte of `d` (bytes XOR '0', separators masked to zero) is a digit value 0..=9:
/// XOR with '0' maps exactly the ASCII digits to 0..=9, and adding 0x76 sets the high bit of
/// every byte from 10 up (a carry into the next byte only adds false alarms to a word that
/// already has one).
#[inline(always)]
fn all_digits(d: u64) -> bool {
    (d.wrapping_add(0x7676_7676_7676_7676) | d) & 0x8080_8080_8080_8080 == 0
}

/// Byte `k` of a word.
#[inline(always)]
fn byte(w: u64, k: u32) -> i64 {
    ((w >> (8 * k)) & 0xff) as i64
}

const ZEROS: u64 = 0x3030_3030_3030_3030;

/// Each byte of `d` (digit values 0..=9) times ten plus the byte above it: no byte exceeds 99,
/// so nothing carries into its neighbour.
#[inline(always)]
fn pairs(d: u64) -> u64 {
    d.wrapping_mul(10).wrapping_add(d >> 8)
}

/// [`days_from_civil`] for years 1..=9999 (the common forms' 1678..=2261), in unsigned
/// arithmetic: no era split, divisions by constants only.
#[inline(always)]
fn days_in_range(y: i64, m: i64, d: i64) -> i64 {
    let (y, m, d) = (y as u32, m as u32, d as u32);
    let y = if m <= 2 { y - 1 } else { y };
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    (365 * y + y / 4 - y / 100 + y / 400 + doy) as i64 - 719_468
}

/// The two forms requests nearly always use, `YYYY-MM-DD` and `YYYY-MM-DD(T| )HH:MM:SS`,
/// with years 1678..=2261 (always inside datetime64[ns]'s range, so plain i64 arithmetic
/// suffices: no trimming, no 128-bit products). `None` for anything else, which `parse`
/// then reads in full; where this answers, `parse`'s full reading gives the same result.
/// Every digit and separator is checked a word at a time (SWAR), not byte by byte.
#[inline(always)]
pub(crate) fn parse_common(b: &[u8]) -> Option<Parsed> {
    let has_time = match b.len() {
        10 => false,
        19 => true,
        _ => return None,
    };
    // "YYYY-MM-": separators at bytes 4 and 7.
    const SEP0: u64 = 0xff00_00ff_0000_0000;
    let w0 = word(b, 0);
    let d0 = (w0 ^ ZEROS) & !SEP0;
    if w0 & SEP0 != (b'-' as u64) << 32 | (b'-' as u64) << 56 || !all_digits(d0) {
        return None;
    }
    // Byte k of `pairs(d)` is the two-digit number of bytes k and k + 1.
    let p0 = pairs(d0);
    let year = byte(p0, 0) * 100 + byte(p0, 2);
    let month = byte(p0, 5);
    let day;
    let mut secs_of_day = 0;
    if has_time {
        // "DDTHH:MM" then ":SS": a 'T' or ' ' at byte 10, colons at 13 and 16.
        const SEP1: u64 = 0x0000_ff00_00ff_0000;
        let w1 = word(b, 8);
        let d1 = (w1 ^ ZEROS) & !SEP1;
        let t = (w1 >> 16) & 0xff;
        if (w1 >> 40) & 0xff != b':' as u64
            || (t != b'T' as u64 && t != b' ' as u64)
            || !all_digits(d1)
            || b[16] != b':'
        {
            return None;
        }
        let (s1, s2) = (b[17] ^ b'0', b[18] ^ b'0');
        if s1 > 9 || s2 > 9 {
            return None;
        }
        let p1 = pairs(d1);
        day = byte(p1, 0);
        let hour = byte(p1, 3);
        let minute = byte(p1, 6);
        let second = (s1 * 10 + s2) as i64;
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        secs_of_day = hour * 3600 + minute * 60 + second;
    } else {
        let (h, l) = (b[8] ^ b'0', b[9] ^ b'0');
        if h > 9 || l > 9 {
            return None;
        }
        day = (h * 10 + l) as i64;
    }
    if !(1678..=2261).contains(&year)
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
    {
        return None;
    }
    let secs = days_in_range(year, month, day) * 86400 + secs_of_day;
    Some(Parsed {
        ns: secs * 1_000_000_000,
        has_time,
        frac_digits: 0,
    })
}

/// Parses `YYYY-MM[-DD][(T| )HH:MM[:SS[.fffffffff]]]`, refusing zones.
pub fn parse(text: &str) -> Result<Parsed, DtError> {
    match parse_common(text.as_bytes()) {
        Some(p) => Ok(p),
        None => parse_general(text),
    }
}

fn parse_general(text: &str) -> Result<Parsed, DtError> {
    let t = text.trim();
    let b = t.as_bytes();
    let year = digits(b, 0, 4).ok_or(DtError::Invalid)?;
    if b.get(4) != Some(&b'-') {
        return Err(DtError::Invalid);
    }
    let month = digits(b, 5, 2).ok_or(DtError::Invalid)?;
    let mut i = 7;
    let mut day = 1;
    if b.get(7) == Some(&b'-') {
        day = digits(b, 8, 2).ok_or(DtError::Invalid)?;
        i = 10;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(DtError::Invalid);
    }
    let (mut hour, mut minute, mut second, mut frac_ns, mut frac_digits) =
        (0i64, 0i64, 0i64, 0i64, 0usize);
    let mut has_time = false;
    if i < b.len() && (b[i] == b'T' || b[i] == b' ') && i == 10 {
        has_time = true;
        hour = digits(b, i + 1, 2).ok_or(DtError::Invalid)?;
        if b.get(i + 3) != Some(&b':') {
            return Err(DtError::Invalid);
        }
        minute = digits(b, i + 4, 2).ok_or(DtError::Invalid)?;
        i += 6;
        if b.get(i) == Some(&b':') {
            second = digits(b, i + 1, 2).ok_or(DtError::Invalid)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                i += 1;
                let start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                frac_digits = i - start;
                if frac_digits == 0 || frac_digits > 9 {
                    return Err(DtError::Invalid);
                }
                let mut v = digits(b, start, frac_digits).ok_or(DtError::Invalid)?;
                for _ in frac_digits..9 {
                    v *= 10;
                }
                frac_ns = v;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err(DtError::Invalid);
        }
    }
    if i < b.len() {
        let rest = &t[i..];
        let zone = rest == "Z"
            || ((rest.starts_with('+') || rest.starts_with('-'))
                && rest[1..].bytes().all(|c| c.is_ascii_digit() || c == b':')
                && rest.len() >= 3);
        return Err(if zone && has_time {
            DtError::TzAware
        } else {
            DtError::Invalid
        });
    }
    let days = days_from_civil(year, month, day) as i128;
    let secs = days * 86400 + (hour * 3600 + minute * 60 + second) as i128;
    let ns = secs * 1_000_000_000 + frac_ns as i128;
    if ns <= i64::MIN as i128 || ns > i64::MAX as i128 {
        return Err(DtError::OutOfRange);
    }
    Ok(Parsed {
        ns: ns as i64,
        has_time,
        frac_digits,
    })
}

/// Python's `datetime.isoformat()` of a naive instant (microseconds shown when non-zero),
/// or `date.isoformat()` when `date_only`.
pub fn isoformat(ns: i64, date_only: bool) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let sub = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    if date_only {
        return format!("{:04}-{:02}-{:02}", y, m, d);
    }
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        y,
        m,
        d,
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    );
    if sub / 1000 != 0 {
        s.push_str(&format!(".{:06}", sub / 1000));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iso_forms() {
        assert_eq!(parse("1970-01-01").unwrap().ns, 0);
        assert_eq!(
            parse("2021-01-02 03:04:05").unwrap().ns,
            1_609_556_645_000_000_000
        );
        assert_eq!(
            parse("2021-01-02T03:04:05.123456789").unwrap().ns,
            1_609_556_645_123_456_789
        );
        assert_eq!(parse("1969-12-31T23:59:59").unwrap().ns, -1_000_000_000);
        assert_eq!(parse("2024-02-29").unwrap().has_time, false);
        assert_eq!(parse("2023-02-29"), Err(DtError::Invalid));
        assert_eq!(parse("2021-01-01T00:00:00Z"), Err(DtError::TzAware));
        assert_eq!(parse("2021-01-01T00:00:00+01:00"), Err(DtError::TzAware));
        assert_eq!(parse("abc"), Err(DtError::Invalid));
        assert_eq!(parse("3000-01-01"), Err(DtError::OutOfRange));
    }

    /// The short path for the common forms agrees with the general reading everywhere.
    #[test]
    fn common_forms_agree_with_the_general_reading() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut hits = 0;
        for i in 0..400_000 {
            let year = match i % 4 {
                0 => 1600 + next() % 800,
                1 => [1677, 1678, 2261, 2262, 1970, 2000, 1900, 2100][(next() % 8) as usize],
                _ => 1678 + next() % 584,
            };
            let month = next() % 14;
            let day = next() % 33;
            let mut t = format!("{:04}-{:02}-{:02}", year, month, day);
            if next() % 4 != 0 {
                let sep = [" ", "T", "t", "_"][(next() % 4) as usize];
                t.push_str(&format!(
                    "{}{:02}:{:02}:{:02}",
                    sep,
                    next() % 25,
                    next() % 61,
                    next() % 61
                ));
            }
            if next() % 10 == 0 {
                // A corrupted byte anywhere.
                let mut b = t.into_bytes();
                let k = (next() % b.len() as u64) as usize;
                b[k] = b"0123456789-:T /x\xe9"[(next() % 17) as usize];
                t = String::from_utf8_lossy(&b).into_owned();
            }
            let general = Some(parse_general(&t));
            if let Some(p) = parse_common(t.as_bytes()) {
                hits += 1;
                assert_eq!(Some(Ok(p)), general, "{}", t);
            }
        }
        assert!(hits > 100_000, "short path taken {} times", hits);
    }

    /// The unsigned day count agrees with Hinnant's everywhere it is used, and beyond.
    #[test]
    fn days_in_range_agree_with_days_from_civil() {
        for y in 1..=9999 {
            for m in 1..=12 {
                for d in [1, 15, 28, days_in_month(y, m)] {
                    assert_eq!(
                        days_in_range(y, m, d),
                        days_from_civil(y, m, d),
                        "{}-{}-{}",
                        y,
                        m,
                        d
                    );
                }
            }
        }
    }

    #[test]
    fn formats_like_python() {
        assert_eq!(
            isoformat(parse("2023-07-01 12:00:00").unwrap().ns, false),
            "2023-07-01T12:00:00"
        );
        assert_eq!(
            isoformat(parse("2023-07-01T12:00:00.5").unwrap().ns, false),
            "2023-07-01T12:00:00.500000"
        );
        assert_eq!(
            isoformat(parse("1960-03-04").unwrap().ns, true),
            "1960-03-04"
        );
    }
}
