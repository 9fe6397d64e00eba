//! Typed properties: each kind's properties are a serde struct, defined beside the catalog
//! builder that fills it and read back by the kind's adapter (`AwsStep::props`), so a key and its
//! default are written once. [`check_spec_fields`] holds a kind's spec row to its struct.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::ResourceKind;

/// The property names of a properties struct: the field names serde deserialises (after
/// `rename_all`), read from the struct's derived `Deserialize` without a value.
pub(crate) fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut names: &'static [&'static str] = &[];
    // The derived impl names its fields to `deserialize_struct`; the error that follows is ours.
    let _ = T::deserialize(FieldNames(&mut names));
    names
}

/// Panics (in tests) unless every property the kind's spec row names — replaced on, replaced
/// when removed, changed in place, identity — is a field of its properties struct `T`.
pub(crate) fn check_spec_fields<'de, T: Deserialize<'de>>(kind: ResourceKind) {
    let fields = field_names::<T>();
    assert!(
        !fields.is_empty(),
        "{kind:?}: its properties are not a struct"
    );
    let spec = kind.spec();
    let named = spec
        .replace_on
        .iter()
        .chain(spec.replace_when_removed)
        .chain(spec.in_place.properties())
        .chain(kind.identity_keys())
        .chain(spec.set_at_create)
        .filter(|name| !spec.broken_markers.contains(name) && **name != "tags");
    for name in named {
        assert!(
            fields.contains(name),
            "{kind:?}: its spec names `{name}`, which its properties struct does not have \
             (fields: {fields:?})"
        );
    }
}

struct FieldNames<'a>(&'a mut &'static [&'static str]);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = fields;
        Err(Stop)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Example {
        file_system: String,
        path: Option<String>,
    }

    #[test]
    fn field_names_are_the_serialised_names() {
        assert_eq!(field_names::<Example>(), ["fileSystem", "path"]);
    }
}
