//! Random identifiers.

use rand::Rng;

/// Length of a briefing id: 60 bits, plenty for the briefings of one server and short enough
/// to read out over the phone.
pub(crate) const BRIEFING_ID_LEN: usize = 12;

/// Length of a point id: 80 bits.
pub(crate) const POINT_ID_LEN: usize = 16;

/// RFC 4648 base32 alphabet in lower case: no padding, no look-alike `0`/`o` or `1`/`l`.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A random string of `len` characters from [`ALPHABET`], drawn from a CSPRNG so that ids
/// cannot be guessed.
pub(crate) fn random_id(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_requested_length_and_alphabet() {
        let id = random_id(BRIEFING_ID_LEN);

        assert_eq!(id.len(), BRIEFING_ID_LEN);
        assert!(id.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(random_id(POINT_ID_LEN), random_id(POINT_ID_LEN));
    }
}
