//! The live plan's prices: the AWS Price List Query API (`pricing:GetProducts`), asked once per
//! price the plan needs (`plan::cost::needed`), at us-east-1 for the commercial regions and at
//! the China endpoint (cn-northwest-1, prices in CNY) for `cn-*` ([`super::clients::pricing_region`]).
//! Each request filters by `ServiceCode`, `regionCode` and the key's `TERM_MATCH` filters
//! (botocore `pricing` 2017-10-15: `GetProducts`, `Filter {Type, Field, Value}`, `PriceList` of
//! JSON strings); the product is then picked and read by `plan::cost::{choose, read_product}`.
//!
//! Answers are cached per region (and per endpoint, so the emulator's never mix with AWS's) in
//! `$SHINYCTL_CACHE_DIR`, else `$XDG_CACHE_HOME/shinyctl`, else `~/.cache/shinyctl`, as
//! `prices/<region>.json`; a cache younger than [`CACHE_DAYS`] that holds every price needed
//! answers without a call. When the Price List cannot be asked (unreachable, credentials without
//! `pricing:GetProducts`), the cache of any age, else the table shipped in the binary
//! (`plan::cost::table`), prices the plan, and the note says so.

use std::path::PathBuf;

use aws_sdk_pricing::types::{Filter, FilterType};
use serde::{Deserialize, Serialize};

use crate::apply::StepError;
use crate::blueprint::support::Date;
use crate::plan::cost::{PriceBook, PriceKey, Product, choose, read_product, table};

use super::Connection;
use super::clients::pricing_region;
use super::errors::AwsResult;

/// How long cached prices are used without asking again (AWS changes list prices rarely).
pub(crate) const CACHE_DAYS: i64 = 7;

/// The prices for a plan and, when they are not the Price List's of today, why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Priced {
    pub(crate) book: PriceBook,
    /// `could not ask the AWS Price List (AccessDeniedException): ...`.
    pub(crate) note: Option<String>,
}

/// The cache file's content.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Cached {
    /// Unix seconds of the answer.
    fetched: i64,
    book: PriceBook,
}

/// Prices asked for before the plan is known: the blueprint's own (`plan::cost::needed_by`),
/// asked beside the live read so that a plan's prices wait for no answer of it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Prefetched {
    /// The keys asked for.
    pub(crate) keys: Vec<PriceKey>,
    pub(crate) priced: Priced,
}

/// [`price_book`] for `keys`, kept with them for [`complete`].
pub(crate) async fn prefetch(conn: &Connection, region: &str, keys: Vec<PriceKey>) -> Prefetched {
    let priced = price_book(conn, region, &keys).await;
    Prefetched { keys, priced }
}

/// Prices for every key in `keys` given those `prefetched`: nothing more is asked when the
/// prefetch asked for every key (a plan that changes nothing, or only what the blueprint
/// says); otherwise the keys it did not ask for (a deleted or replaced resource's former
/// settings) are asked and added to its book, which the cache then holds whole.
pub(crate) async fn complete(
    conn: &Connection,
    region: &str,
    keys: &[PriceKey],
    prefetched: Prefetched,
) -> Priced {
    let missing: Vec<PriceKey> = keys
        .iter()
        .filter(|k| !prefetched.keys.contains(k))
        .cloned()
        .collect();
    if prefetched.priced.book.region != region {
        return price_book(conn, region, keys).await;
    }
    if missing.is_empty() {
        return prefetched.priced;
    }
    if prefetched.priced.note.is_some() {
        // The Price List could not be asked: the fallback for all of them.
        return price_book(conn, region, keys).await;
    }
    price_book_with(conn, region, &missing, Some(prefetched.priced.book)).await
}

/// Prices for every key in `keys` in `region`.
pub(crate) async fn price_book(conn: &Connection, region: &str, keys: &[PriceKey]) -> Priced {
    price_book_with(conn, region, keys, None).await
}

/// [`price_book`], the answers added to `known` (prices already asked for this plan).
async fn price_book_with(
    conn: &Connection,
    region: &str,
    keys: &[PriceKey],
    known: Option<PriceBook>,
) -> Priced {
    let file = cache_file(region, conn.endpoint_url.as_deref());
    let cached = file.as_ref().and_then(read_cache);
    let now = now_seconds();
    if let Some(c) = &cached {
        let fresh = now - c.fetched < CACHE_DAYS * 86_400;
        if fresh && keys.iter().all(|k| c.book.prices.contains_key(&k.id())) {
            let mut book = c.book.clone();
            if let Some(known) = known {
                book.prices.extend(known.prices);
            }
            return Priced { book, note: None };
        }
    }
    let answer = ask(conn, region, keys).await.map(|mut book| {
        if let Some(known) = known {
            book.prices.extend(known.prices);
        }
        book
    });
    match answer {
        Ok(book) => {
            if let Some(file) = &file {
                // A cache that cannot be written only costs the next plan a few calls.
                let _ = write_cache(
                    file,
                    &Cached {
                        fetched: now,
                        book: book.clone(),
                    },
                );
            }
            Priced { book, note: None }
        }
        Err(e) => {
            let fallback = cached
                .map(|c| c.book)
                .unwrap_or_else(|| table::offline(region));
            Priced {
                note: Some(format!(
                    "could not ask the AWS Price List ({}: {}); prices from {}",
                    e.code, e.message, fallback.source
                )),
                book: fallback,
            }
        }
    }
}

/// One `GetProducts` per key (its pages until the key's product is found), all keys at once.
async fn ask(conn: &Connection, region: &str, keys: &[PriceKey]) -> Result<PriceBook, StepError> {
    let endpoint = pricing_region(region);
    let mut book = PriceBook {
        region: region.to_string(),
        currency: table::currency(region).to_string(),
        source: format!(
            "AWS Price List Query API ({endpoint}) of {}",
            Date::from_unix_seconds(now_seconds())
        ),
        prices: Default::default(),
    };
    // The keys at once: each is its own query, and the limiter paces them (one round trip for
    // the plan's prices, not one per product).
    let answers = futures::future::try_join_all(
        keys.iter()
            .map(|key| async move { products(conn, region, key).await.map(|found| (key, found)) }),
    )
    .await?;
    for (key, products) in answers {
        if let Some((currency, price)) = choose(key, &products) {
            book.currency = currency;
            book.prices.insert(key.id(), price);
        }
    }
    Ok(book)
}

async fn products(
    conn: &Connection,
    region: &str,
    key: &PriceKey,
) -> Result<Vec<Product>, StepError> {
    let query = key.query();
    let filter = |field: &str, value: &str| {
        Filter::builder()
            .r#type(FilterType::TermMatch)
            .field(field)
            .value(value)
            .build()
            .map_err(|e| StepError::fatal("InvalidFilter", e.to_string()))
    };
    let mut filters = vec![filter("regionCode", region)?];
    for (field, value) in &query.filters {
        filters.push(filter(field, value)?);
    }
    let mut pages = conn
        .clients
        .pricing
        .get_products()
        .service_code(query.service_code)
        .set_filters(Some(filters))
        .format_version("aws_v1")
        .max_results(100)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    // A page is asked for only when the one before did not have the price.
    while let Some(page) = pages.next().await {
        out.extend(
            page.aws()?
                .price_list()
                .iter()
                .filter_map(|item| read_product(item)),
        );
        if choose(key, &out).is_some() {
            break;
        }
    }
    Ok(out)
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The cache directory: `SHINYCTL_CACHE_DIR`, else `XDG_CACHE_HOME/shinyctl`, else
/// `~/.cache/shinyctl`; `None` without any of them.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    var("SHINYCTL_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("shinyctl")))
        .or_else(|| var("HOME").map(|d| PathBuf::from(d).join(".cache").join("shinyctl")))
}

/// `prices/us-east-1.json`; with an endpoint override, `prices/us-east-1@127.0.0.1_4566.json`.
pub(crate) fn cache_file_name(region: &str, endpoint: Option<&str>) -> String {
    match endpoint {
        None => format!("{region}.json"),
        Some(url) => {
            let host: String = url
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            format!("{region}@{host}.json")
        }
    }
}

fn cache_file(region: &str, endpoint: Option<&str>) -> Option<PathBuf> {
    Some(
        cache_dir()?
            .join("prices")
            .join(cache_file_name(region, endpoint)),
    )
}

fn read_cache(file: &PathBuf) -> Option<Cached> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_cache(file: &PathBuf, cached: &Cached) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text = serde_json::to_string_pretty(cached).map_err(std::io::Error::other)?;
    std::fs::write(file, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_files_are_per_region_and_endpoint() {
        assert_eq!(cache_file_name("us-east-1", None), "us-east-1.json");
        assert_eq!(
            cache_file_name("cn-northwest-1", Some("http://127.0.0.1:4566")),
            "cn-northwest-1@127.0.0.1_4566.json"
        );
        assert_eq!(pricing_region("cn-north-1"), "cn-northwest-1");
        assert_eq!(pricing_region("eu-west-1"), "us-east-1");
    }
}
