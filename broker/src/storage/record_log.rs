//! The record format both logs use, the message log ([`super::MessageStore`]) and the
//! definitions log ([`super::DefinitionStore`]): `len: u32 LE | crc32(payload): u32 LE |
//! payload`, appended one after another. Reading stops at the first record that is torn (a
//! write cut short by a crash) or corrupted; what came before it is trusted.

/// Bytes before a record's payload: its length and checksum.
pub const HEADER: usize = 8;

/// Why reading stopped before the end of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadRecord {
    /// Fewer than [`HEADER`] bytes are left: a short write of the header.
    TornHeader,
    /// The length is zero or runs past the data: a short write of the payload.
    Torn,
    /// The payload does not match its checksum.
    Checksum,
}

impl BadRecord {
    /// In words, for the log.
    pub fn describe(self) -> &'static str {
        match self {
            BadRecord::TornHeader => "torn record header (short write)",
            BadRecord::Torn => "torn record (short write)",
            BadRecord::Checksum => "checksum mismatch",
        }
    }
}

/// Appends one record to `out`, its payload written by `fill`; returns the record's length,
/// header included.
pub fn append(out: &mut Vec<u8>, fill: impl FnOnce(&mut Vec<u8>)) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0u8; HEADER]);
    fill(out);
    let len = out.len() - at - HEADER;
    let crc = crc32fast::hash(&out[at + HEADER..]);
    out[at..at + 4].copy_from_slice(&(len as u32).to_le_bytes());
    out[at + 4..at + 8].copy_from_slice(&crc.to_le_bytes());
    len + HEADER
}

/// The payload of the record at `at` in `data`, and where the next record starts;
/// `Ok(None)` at the end of the data.
pub fn read_at(data: &[u8], at: usize) -> Result<Option<(&[u8], usize)>, BadRecord> {
    let Some(rest) = data.get(at..).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let (Some(len), Some(crc)) = (le_u32(rest, 0), le_u32(rest, 4)) else {
        return Err(BadRecord::TornHeader);
    };
    let len = len as usize;
    let payload = match rest.get(HEADER..HEADER.saturating_add(len)) {
        Some(p) if len > 0 => p,
        _ => return Err(BadRecord::Torn),
    };
    if crc32fast::hash(payload) != crc {
        return Err(BadRecord::Checksum);
    }
    Ok(Some((payload, at + HEADER + len)))
}

/// The payload of `record`, one whole record read back on its own (header included).
pub fn payload_of(record: &[u8]) -> Result<&[u8], BadRecord> {
    match read_at(record, 0)? {
        Some((payload, end)) if end == record.len() => Ok(payload),
        Some(_) => Err(BadRecord::Torn),
        None => Err(BadRecord::TornHeader),
    }
}

fn le_u32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            append(&mut out, |o| o.extend_from_slice(p));
        }
        out
    }

    fn read_all(data: &[u8]) -> (Vec<Vec<u8>>, Option<BadRecord>) {
        let mut at = 0;
        let mut got = Vec::new();
        loop {
            match read_at(data, at) {
                Ok(Some((p, next))) => {
                    got.push(p.to_vec());
                    at = next;
                }
                Ok(None) => return (got, None),
                Err(e) => return (got, Some(e)),
            }
        }
    }

    #[test]
    fn the_checksum_is_standard_crc32() {
        let data = records(&[b"123456789"]);
        assert_eq!(&data[4..8], &0xCBF4_3926u32.to_le_bytes());
        assert_eq!(&data[0..4], &9u32.to_le_bytes());
    }

    #[test]
    fn records_round_trip() {
        let data = records(&[b"one", b"two", b"three"]);
        let (got, bad) = read_all(&data);
        assert_eq!(
            got,
            vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
        assert_eq!(bad, None);
    }

    #[test]
    fn reading_stops_at_a_torn_tail() {
        let data = records(&[b"one", b"two"]);
        for cut in 1..data.len() - 11 {
            let (got, bad) = read_all(&data[..data.len() - cut]);
            assert_eq!(got, vec![b"one".to_vec()], "cut {cut}");
            let want = if cut > 3 {
                BadRecord::TornHeader
            } else {
                BadRecord::Torn
            };
            assert_eq!(bad, Some(want), "cut {cut}");
        }
    }

    #[test]
    fn reading_stops_at_a_flipped_bit() {
        let mut data = records(&[b"one", b"two", b"three"]);
        let second_payload = 11 + HEADER;
        data[second_payload] ^= 0x10;
        let (got, bad) = read_all(&data);
        assert_eq!(got, vec![b"one".to_vec()]);
        assert_eq!(bad, Some(BadRecord::Checksum));
    }

    #[test]
    fn a_zero_length_record_is_torn() {
        let data = [0u8; 12];
        assert_eq!(read_at(&data, 0), Err(BadRecord::Torn));
    }

    #[test]
    fn a_record_read_back_alone_is_checked_whole() {
        let data = records(&[b"payload"]);
        assert_eq!(payload_of(&data), Ok(&b"payload"[..]));
        assert_eq!(payload_of(&data[..data.len() - 1]), Err(BadRecord::Torn));
        let mut longer = data.clone();
        longer.push(0);
        assert_eq!(payload_of(&longer), Err(BadRecord::Torn));
    }
}
