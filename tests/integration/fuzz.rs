//! Property tests of the loader: whatever the bytes, it answers with a design or with
//! problems, never a panic; mutated designs likewise.

use archsandbox::model::{PriceTable, file::parse_design_bytes, parse_design, to_ron};
use proptest::prelude::*;

use crate::{read, ron_files};

fn shipped_texts() -> Vec<String> {
    ron_files("saved-designs").iter().map(|p| read(p)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_the_loader(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let prices = PriceTable::builtin();
        let _ = parse_design_bytes(&bytes, &prices);
    }

    #[test]
    fn mutated_designs_never_panic_the_loader(
        which in 0usize..64,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..8),
    ) {
        let prices = PriceTable::builtin();
        let texts = shipped_texts();
        let mut bytes = texts[which % texts.len()].clone().into_bytes();
        for (at, op, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match op {
                0 => { bytes.remove(i); }
                1 => bytes.insert(i, byte),
                2 => bytes[i] = byte,
                // Swap a digit for another token a user might type.
                _ => {
                    let replacement: &[u8] = match byte % 5 {
                        0 => b"-1.0",
                        1 => b"NaN",
                        2 => b"inf",
                        3 => b"0",
                        _ => b"\"\"",
                    };
                    bytes.splice(i..i, replacement.iter().copied());
                }
            }
        }
        if let Ok(loaded) = parse_design_bytes(&bytes, &prices) {
            // Whatever loads also saves and loads back the same.
            let text = to_ron(&loaded.design);
            let again = parse_design(&text, &prices).expect("a saved design loads");
            prop_assert_eq!(again.design, loaded.design);
        }
    }
}
