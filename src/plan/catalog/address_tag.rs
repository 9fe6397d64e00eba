//! The `shinyctl.dev/address` tag's value: a resource address written within the characters
//! every service shinyctl tags accepts, and read back.
//!
//! EFS, ELBv2, IAM, Lambda, RDS and ACM allow tag values only from
//! `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, at most 256 characters (botocore 1.44.5 `service-2.json`:
//! `efs` TagValue, `elbv2` TagValue, `iam` tagValueType, `lambda` TagValue, `rds` Tag.Value's
//! documentation); addresses hold brackets (`ingress.listener[443]`). So the tag holds an
//! encoding that keeps addresses readable and round-trips every string:
//!
//! - a final `[key]` becomes `:key` (`ingress.listener[443]` → `ingress.listener:443`,
//!   `storage.efs_access_point[shared-data]` → `storage.efs_access_point:shared-data`);
//! - ASCII letters, digits and `_ . / - = @` stay as they are;
//! - every other character (the escape `+` itself, `:`, other brackets, spaces, non-ASCII) is
//!   `+HH` per UTF-8 byte, uppercase hex (`[` is `+5B`, `+` is `+2B`).
//!
//! Reading is kind to resources tagged before this encoding (EC2 and EKS took the raw address):
//! a value holding any character the encoding never writes (`[`, `]`, a space, ...) is that
//! older raw address and is read as it is. The plan then shows the tag's update to the encoded
//! form, which apply makes in place.

/// The escape character: never written verbatim.
const ESCAPE: char = '+';
/// Stands for a final `[key]`'s opening bracket; the closing one is implied.
const KEY_MARK: char = ':';

/// The tag value for `address`.
pub(crate) fn encode(address: &str) -> String {
    match final_key(address) {
        Some((base, key)) => format!("{}{KEY_MARK}{}", escape(base), escape(key)),
        None => escape(address),
    }
}

/// The address a tag value holds: decoded, or an older raw address as it is (module comment).
pub(crate) fn decode(value: &str) -> String {
    try_decode(value).unwrap_or_else(|| value.to_string())
}

/// `base[key]` with no bracket inside `key`: (base, key).
fn final_key(address: &str) -> Option<(&str, &str)> {
    let inner = address.strip_suffix(']')?;
    let open = inner.rfind('[')?;
    let key = &inner[open + 1..];
    (!key.contains(']')).then(|| (&inner[..open], key))
}

fn verbatim(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./-=@".contains(c)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if verbatim(c) {
            out.push(c);
        } else {
            let mut bytes = [0; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                out.push(ESCAPE);
                out.push_str(&format!("{b:02X}"));
            }
        }
    }
    out
}

fn try_decode(value: &str) -> Option<String> {
    if !value
        .chars()
        .all(|c| verbatim(c) || c == ESCAPE || c == KEY_MARK)
    {
        return None;
    }
    let mut parts = value.split(KEY_MARK);
    let base = unescape(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(key), None) => Some(format!("{base}[{}]", unescape(key)?)),
        (Some(_), Some(_)) => None,
    }
}

fn unescape(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == ESCAPE as u8 {
            let hex = tail.get(..2)?;
            if !hex
                .iter()
                .all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h))
            {
                return None;
            }
            bytes.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

/// AWS's tag rules for every service shinyctl tags, all at once (what a tag must pass to be
/// written anywhere), for tests.
#[cfg(test)]
pub(crate) mod strictest {
    use regex::Regex;
    use std::sync::LazyLock;

    /// botocore 1.44.5: EFS `TagValue`, ELBv2 `TagValue`, IAM `tagValueType`, Lambda `TagValue`,
    /// ACM `TagValue`, RDS `Tag.Value` (documented Java regex); at most 256 characters.
    static VALUE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$").unwrap());
    /// The same services' keys, and CloudWatch Synthetics' `TagKey` `^(?!aws:)[a-zA-Z+-=._:/]+$`
    /// (`+-=` is the range `+` to `=`: no `@`, no spaces, ASCII letters only).
    static KEYS: LazyLock<[Regex; 2]> = LazyLock::new(|| {
        [
            Regex::new(r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$").unwrap(),
            Regex::new(r"^[a-zA-Z+-=._:/]+$").unwrap(),
        ]
    });

    /// Why AWS would refuse the tag `key=value` somewhere, if it would.
    pub(crate) fn refusal(key: &str, value: &str) -> Option<String> {
        let key_len = key.chars().count();
        // EC2's documentation: "a maximum of 127 Unicode characters"; the others allow 128.
        if !(1..=127).contains(&key_len) {
            return Some(format!("key {key:?} has {key_len} characters (1 to 127)"));
        }
        if let Some(pattern) = KEYS.iter().find(|p| !p.is_match(key)) {
            return Some(format!("key {key:?} does not match {pattern}"));
        }
        // `aws:` is reserved everywhere (EFS spells it case-insensitively); RDS also refuses
        // `rds:` on keys and values.
        for (what, text) in [("key", key), ("value", value)] {
            let lower = text.to_ascii_lowercase();
            if lower.starts_with("aws:") || lower.starts_with("rds:") {
                return Some(format!("{what} {text:?} starts with a reserved prefix"));
            }
        }
        if value.chars().count() > 256 {
            return Some(format!("value {value:?} has more than 256 characters"));
        }
        (!VALUE.is_match(value)).then(|| format!("value {value:?} does not match {}", *VALUE))
    }

    #[test]
    fn the_patterns_read_as_aws_means_them() {
        assert_eq!(
            refusal("shinyctl.dev/address", "ingress.listener:443"),
            None
        );
        assert_eq!(refusal("team", "Données 1"), None);
        assert!(refusal("shinyctl.dev/address", "ingress.listener[443]").is_some());
        assert!(
            refusal("owner@x", "v").is_some(),
            "Synthetics refuses `@` in keys"
        );
        assert!(
            refusal("cost center", "v").is_some(),
            "Synthetics refuses spaces in keys"
        );
        assert!(refusal("aws:x", "v").is_some());
        assert!(refusal("k", &"v".repeat(257)).is_some());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn common_addresses_stay_readable() {
        for (address, tag) in [
            ("network.vpc", "network.vpc"),
            ("ingress.listener[443]", "ingress.listener:443"),
            (
                "storage.efs_access_point[shared-data]",
                "storage.efs_access_point:shared-data",
            ),
            (
                "registry.ecr_repository[shiny/app]",
                "registry.ecr_repository:shiny/app",
            ),
            ("a+b[c:d]", "a+2Bb:c+3Ad"),
            ("a[b", "a+5Bb"),
            ("a[b]c", "a+5Bb+5Dc"),
            ("x[[y]", "x+5B:y"),
            ("café [1]", "caf+C3+A9+20:1"),
            ("", ""),
        ] {
            assert_eq!(encode(address), tag, "{address}");
            assert_eq!(decode(tag), address, "{tag}");
        }
    }

    #[test]
    fn older_raw_addresses_are_read_as_they_are() {
        for raw in [
            "network.subnet.private[a]",
            "ingress.listener[443]",
            "network.vpc",
        ] {
            assert_eq!(decode(raw), raw);
        }
        // Malformed escapes are not an encoding shinyctl wrote: taken as they are.
        for odd in ["a+5", "a+zz", "a:b:c", "a+FF"] {
            assert_eq!(decode(odd), odd);
        }
    }

    proptest! {
        #[test]
        fn every_string_round_trips(address in any::<String>()) {
            prop_assert_eq!(decode(&encode(&address)), address);
        }

        #[test]
        fn address_like_strings_round_trip(address in r"[a-z_.\[\]/:+@= -]{0,40}") {
            let tag = encode(&address);
            prop_assert!(tag.chars().all(|c| c.is_ascii_alphanumeric() || "_./-=@+:".contains(c)));
            prop_assert_eq!(decode(&tag), address);
        }
    }
}
