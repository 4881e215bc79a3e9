//! UUID v7 ids for many rows at once. `Uuid::now_v7` asks the host for the time and for random
//! bytes on every call, two crossings out of wasm; an import of 10,000 rows asks once for each.
use uuid::Builder;

/// Bits of each id given to a counter (RFC 9562 §6.2, method 1), so the ids of one batch sort in
/// the order they were handed out: imported customers list in file order.
const COUNTER_BITS: u32 = 18;

/// Random bytes each id takes: the 56 bits of `rand_b` the counter leaves.
pub const RANDOM_BYTES_PER_ID: usize = 7;

/// Ids sharing one timestamp, one for every `RANDOM_BYTES_PER_ID` bytes of `random`.
pub fn v7_ids(unix_millis: u64, random: &[u8]) -> impl Iterator<Item = String> + '_ {
    random.chunks_exact(RANDOM_BYTES_PER_ID).enumerate().map(move |(i, rand)| {
        let i = i as u64;
        // A counter that runs out moves on to the next millisecond rather than wrap around.
        let millis = unix_millis + (i >> COUNTER_BITS);
        let counter = (i & ((1 << COUNTER_BITS) - 1)) as u32;
        let mut bytes = [0u8; 10];
        // Builder keeps the low 12 bits of bytes[0..2] (rand_a) and the low 62 of bytes[2..10]
        // (rand_b): the counter's top 12 bits go to rand_a, its low 6 start rand_b.
        bytes[0] = (counter >> 14) as u8 & 0x0f;
        bytes[1] = (counter >> 6) as u8;
        bytes[2] = (counter & 0x3f) as u8;
        bytes[3..].copy_from_slice(rand);
        Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid().to_string()
    })
}

/// Whether `s` spells a UUID in a form the `uuid` crate reads: 32 hex digits, the hyphenated
/// 8-4-4-4-12, that in braces, or a `urn:uuid:` URN. Checked here rather than by the crate's
/// parser, which the wasm would carry only for this yes or no.
pub fn is_uuid(s: &str) -> bool {
    let hyphenated = |b: &[u8]| {
        b.len() == 36
            && b.iter().enumerate().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
    };
    let b = s.as_bytes();
    match b.len() {
        32 => b.iter().all(u8::is_ascii_hexdigit),
        36 => hyphenated(b),
        38 => b[0] == b'{' && b[37] == b'}' && hyphenated(&b[1..37]),
        45 => b[..9].eq_ignore_ascii_case(b"urn:uuid:") && hyphenated(&b[9..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    #[test]
    fn every_form_the_uuid_crate_reads_is_a_uuid() {
        let id = "0193aaaa-0000-7000-8000-00000000000F";
        for form in [id.to_string(), id.replace('-', ""), format!("{{{id}}}"), format!("URN:uuid:{id}")] {
            assert!(is_uuid(&form), "{form}");
        }
    }

    #[test]
    fn anything_else_is_not_a_uuid() {
        for s in [
            "",
            "all",
            "0193aaaa-0000-7000-8000-00000000000g",
            "0193aaaa00007000-8000-0000-00000000000f",
            "{0193aaaa-0000-7000-8000-00000000000f",
        ] {
            assert!(!is_uuid(s), "{s}");
        }
    }

    proptest! {
        #[test]
        fn is_uuid_agrees_with_the_uuid_crate(s in "[0-9a-fA-F{}-]{30,40}|(urn:uuid:|\\{)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-g]{4}-[0-9a-f]{12}\\}?") {
            prop_assert_eq!(is_uuid(&s), Uuid::parse_str(&s).is_ok());
        }
    }

    fn ids(n: usize) -> Vec<String> {
        let random: Vec<u8> = (0..n * RANDOM_BYTES_PER_ID).map(|i| (i * 37 % 251) as u8).collect();
        v7_ids(1_700_000_000_000, &random).collect()
    }

    #[test]
    fn each_id_is_a_version_7_uuid_with_the_given_time() {
        for id in ids(3) {
            let uuid = Uuid::parse_str(&id).unwrap();
            assert_eq!(uuid.get_version_num(), 7);
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
            let (secs, nanos) = uuid.get_timestamp().unwrap().to_unix();
            assert_eq!(secs * 1000 + u64::from(nanos / 1_000_000), 1_700_000_000_000);
        }
    }

    #[test]
    fn ids_sort_in_the_order_they_were_handed_out() {
        let all = ids(1000);
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(all, sorted);
        sorted.dedup();
        assert_eq!(sorted.len(), 1000);
    }

    #[test]
    fn a_counter_that_runs_out_moves_to_the_next_millisecond_and_keeps_the_order() {
        let n = (1 << COUNTER_BITS) + 2;
        let all = ids(n);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        let last = Uuid::parse_str(&all[n - 1]).unwrap();
        let (secs, nanos) = last.get_timestamp().unwrap().to_unix();
        assert_eq!(secs * 1000 + u64::from(nanos / 1_000_000), 1_700_000_000_001);
    }

    #[test]
    fn one_id_per_seven_random_bytes() {
        assert_eq!(v7_ids(0, &[0; 20]).count(), 2);
    }
}
