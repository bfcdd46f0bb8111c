//! Writing events whose possible keys are known in advance, without building
//! an [`Event`](crate::Event).
//!
//! A reader that knows every key it can produce (a Shadowserver report's
//! mapping against one header) makes a [`SlotLayout`] once: the keys sorted as
//! IntelMQ sorts them, each with its JSON text ready. Each row then fills a
//! [`SlotRow`] with value text and writes it out in slot order, which is
//! sorted key order. The output is byte for byte what
//! [`write_event`](super::write_event) writes for the same event.

use super::write::{ORIGIN_FILE_KEY, ORIGIN_LINE_KEY, escape_into};
use crate::field::{FIELD_COUNT, Field};

/// A position in a [`SlotLayout`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(u16);

/// The keys one reader can produce, sorted, with their JSON text.
#[derive(Clone, Debug)]
pub struct SlotLayout {
    /// `, "key": ` for each slot, in key order (the first member written
    /// skips the two leading bytes).
    keys: Vec<Box<[u8]>>,
    /// The full key of each slot (`source.ip`, `extra.tag`).
    names: Vec<String>,
    field_slot: [Slot; FIELD_COUNT],
    origin: Option<(Slot, Slot)>,
}

impl SlotLayout {
    /// A layout for every harmonization field, the given `extra.*` keys
    /// (without the `extra.` prefix) and, when `origin` is set, the origin
    /// keys.
    pub fn new<I, S>(extra_keys: I, origin: bool) -> SlotLayout
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut names: Vec<String> = Field::ALL.iter().map(|f| f.name().to_owned()).collect();
        names.extend(
            extra_keys
                .into_iter()
                .map(|k| format!("extra.{}", k.as_ref())),
        );
        if origin {
            names.push(format!("extra.{ORIGIN_FILE_KEY}"));
            names.push(format!("extra.{ORIGIN_LINE_KEY}"));
        }
        names.sort();
        names.dedup();
        let keys = names
            .iter()
            .map(|n| {
                let mut k = Vec::with_capacity(n.len() + 6);
                k.extend_from_slice(b", \"");
                escape_into(&mut k, n);
                k.extend_from_slice(b"\": ");
                k.into_boxed_slice()
            })
            .collect();
        let find =
            |n: &str| Slot(names.binary_search_by(|x| x.as_str().cmp(n)).unwrap_or(0) as u16);
        let mut field_slot = [Slot(0); FIELD_COUNT];
        for f in Field::ALL {
            field_slot[f.index()] = find(f.name());
        }
        let origin = origin.then(|| {
            (
                find(&format!("extra.{ORIGIN_FILE_KEY}")),
                find(&format!("extra.{ORIGIN_LINE_KEY}")),
            )
        });
        SlotLayout {
            keys,
            names,
            field_slot,
            origin,
        }
    }

    /// The slot of a field.
    pub fn field(&self, f: Field) -> Slot {
        self.field_slot[f.index()]
    }

    /// The slot of `extra.<key>`, if the layout has it.
    pub fn extra(&self, key: &str) -> Option<Slot> {
        let full = format!("extra.{key}");
        self.names.binary_search(&full).ok().map(|i| Slot(i as u16))
    }

    /// The origin slots (file, line), if the layout has them.
    pub fn origin(&self) -> Option<(Slot, Slot)> {
        self.origin
    }

    /// `, "key": ` for a slot: what goes before its value, the first member of
    /// an object skipping the two leading bytes.
    pub fn key_json(&self, s: Slot) -> &[u8] {
        &self.keys[usize::from(s.0)]
    }

    /// The number of slots.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the layout is empty (it never is: every field has a slot).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The values of one row, as JSON text, by slot.
#[derive(Clone, Debug)]
pub struct SlotRow {
    scratch: Vec<u8>,
    ranges: Vec<(u32, u32)>,
    set: Vec<u64>,
}

impl SlotRow {
    /// An empty row for `layout`.
    pub fn new(layout: &SlotLayout) -> SlotRow {
        SlotRow {
            scratch: Vec::with_capacity(4096),
            ranges: vec![(0, 0); layout.len()],
            set: vec![0; layout.len().div_ceil(64)],
        }
    }

    /// Empties the row, keeping its allocations.
    pub fn clear(&mut self) {
        self.scratch.clear();
        self.set.iter_mut().for_each(|w| *w = 0);
    }

    /// Whether a slot holds a value.
    #[inline]
    pub fn is_set(&self, s: Slot) -> bool {
        let i = usize::from(s.0);
        self.set[i / 64] & (1 << (i % 64)) != 0
    }

    /// Empties a slot.
    pub fn unset(&mut self, s: Slot) {
        let i = usize::from(s.0);
        self.set[i / 64] &= !(1 << (i % 64));
    }

    /// Sets a slot to the JSON text `write` appends (replacing an earlier
    /// value).
    #[inline]
    pub fn put_with(&mut self, s: Slot, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.scratch.len();
        write(&mut self.scratch);
        let i = usize::from(s.0);
        self.ranges[i] = (start as u32, self.scratch.len() as u32);
        self.set[i / 64] |= 1 << (i % 64);
    }

    /// Sets a slot to JSON text.
    pub fn put_json(&mut self, s: Slot, json: &[u8]) {
        self.put_with(s, |out| out.extend_from_slice(json));
    }

    /// Appends the row as one JSON line.
    pub fn write(&self, layout: &SlotLayout, out: &mut Vec<u8>) {
        // Values and keys together are at most this long; one reservation.
        out.reserve(self.scratch.len() + 64 * 64 + 4);
        out.push(b'{');
        let mut skip = 2;
        for (w, word) in self.set.iter().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let i = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                out.extend_from_slice(&layout.keys[i][skip..]);
                skip = 0;
                let (a, b) = self.ranges[i];
                out.extend_from_slice(&self.scratch[a as usize..b as usize]);
            }
        }
        out.extend_from_slice(b"}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{WriteOptions, write_clean, write_event};
    use crate::{Event, ExtraValue, Input, Origin};

    #[test]
    fn same_bytes_as_the_event_writer() {
        let mut ev = Event::new();
        ev.add(Field::SourceIp, Input::Str("192.0.2.1")).unwrap();
        ev.add(Field::TimeSource, Input::Str("2021-02-22T01:02:03+00:00"))
            .unwrap();
        ev.add(Field::FeedName, Input::Str("x \"y\"")).unwrap();
        ev.set_extra("tag", ExtraValue::Str("emotet".into()));
        ev.set_extra("zzz", ExtraValue::Int(3));
        ev.set_origin(Some(Origin::new("a.csv".into(), 7)));
        let mut want = Vec::new();
        write_event(&ev, &mut want, &WriteOptions::default());

        let layout = SlotLayout::new(["tag", "zzz", "unused"], true);
        let mut row = SlotRow::new(&layout);
        for (f, v) in ev.fields() {
            row.put_with(layout.field(f), |o| write_clean(&v.as_clean(), o));
        }
        row.put_json(layout.extra("tag").unwrap(), b"\"emotet\"");
        row.put_json(layout.extra("zzz").unwrap(), b"3");
        let (file, line) = layout.origin().unwrap();
        row.put_json(file, b"\"a.csv\"");
        row.put_json(line, b"7");
        let mut got = Vec::new();
        row.write(&layout, &mut got);
        assert_eq!(
            String::from_utf8(got).unwrap(),
            String::from_utf8(want).unwrap()
        );

        row.clear();
        row.put_json(layout.field(Field::SourcePort), b"1");
        row.put_json(layout.field(Field::SourcePort), b"2");
        let mut got = Vec::new();
        row.write(&layout, &mut got);
        assert_eq!(got, b"{\"source.port\": 2}\n");
    }
}
