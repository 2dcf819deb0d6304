//! Pages of a long list (users, the audit log), for both consoles: the database returns one
//! page and the total; [`Pager`] says which rows these are and links the pages around them.

/// Where a page of a list stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// The rows' place in the whole list, "51–100" (empty when there are none).
    pub range: String,
    pub total: u64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// A page number from a query string (from 1; anything else is page 1, and at most a million).
pub fn page_number(raw: Option<&str>) -> u64 {
    raw.and_then(|p| p.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000)
}

/// A list's search from a query string: trimmed, and at most 100 characters (a longer one is
/// cut, not refused); none is the empty search.
pub fn search_term(raw: Option<&str>) -> String {
    raw.unwrap_or("").trim().chars().take(100).collect()
}

/// The offset of `page` (from 1) in pages of `size`.
pub fn offset(page: u64, size: u64) -> u64 {
    page.saturating_sub(1).saturating_mul(size)
}

/// The last page of `total` rows in pages of `size` (1 when there are none).
pub fn last_page(total: u64, size: u64) -> u64 {
    total.div_ceil(size.max(1)).max(1)
}

/// Page `page` (from 1) of `size` rows, read with `fetch(offset)` (the rows and how many there
/// are in all); past the end (the list shrank, or a hand-made link), the last page instead.
/// Returns the rows, the total and the page they are.
pub async fn fetch_page<T, E, F, Fut>(
    page: u64,
    size: u64,
    fetch: F,
) -> Result<(Vec<T>, u64, u64), E>
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, u64), E>>,
{
    let (rows, total) = fetch(offset(page, size)).await?;
    if rows.is_empty() && total > 0 && page > 1 {
        let last = last_page(total, size);
        let (rows, total) = fetch(offset(last, size)).await?;
        return Ok((rows, total, last));
    }
    Ok((rows, total, page))
}

/// `path` with a query of the `params` whose value is not empty, percent-encoded, and `page`
/// when it is past the first: the link of a list page.
pub fn href(path: &str, params: &[(&str, &str)], page: u64) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let mut h = path.to_string();
    let mut sep = '?';
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        h.push(sep);
        h.push_str(k);
        h.push('=');
        h.push_str(&utf8_percent_encode(v, NON_ALPHANUMERIC).to_string());
        sep = '&';
    }
    if page > 1 {
        h.push(sep);
        h.push_str(&format!("page={page}"));
    }
    h
}

impl Pager {
    /// Page `page` (from 1) of `size` rows, of which `shown` are on it, of `total`; `href` makes
    /// the link of a page number.
    pub fn new(page: u64, size: u64, shown: u64, total: u64, href: impl Fn(u64) -> String) -> Self {
        let start = offset(page, size);
        let range = if shown == 0 {
            String::new()
        } else {
            format!("{}–{}", start + 1, start + shown)
        };
        Pager {
            range,
            total,
            prev: (page > 1).then(|| href(page - 1)),
            next: (start + shown < total).then(|| href(page + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_to_their_neighbours_only() {
        let href = |p: u64| format!("?page={p}");
        let first = Pager::new(1, 50, 50, 120, href);
        assert_eq!(first.range, "1–50");
        assert_eq!((first.prev, first.next.as_deref()), (None, Some("?page=2")));
        let last = Pager::new(3, 50, 20, 120, href);
        assert_eq!(last.range, "101–120");
        assert_eq!((last.prev.as_deref(), last.next), (Some("?page=2"), None));
        let empty = Pager::new(1, 50, 0, 0, href);
        assert_eq!(
            (empty.range.as_str(), empty.prev, empty.next),
            ("", None, None)
        );
    }

    #[test]
    fn a_search_is_trimmed_and_cut_at_100_characters() {
        assert_eq!(search_term(None), "");
        assert_eq!(search_term(Some("  r&d ")), "r&d");
        let long = "あ".repeat(150);
        assert_eq!(search_term(Some(&long)).chars().count(), 100);
    }

    #[test]
    fn links_keep_what_is_set_and_encode_it() {
        assert_eq!(href("/a", &[("sort", "1"), ("q", "")], 1), "/a?sort=1");
        assert_eq!(
            href("/a", &[("q", "r&d 50%")], 3),
            "/a?q=r%26d%2050%25&page=3"
        );
        assert_eq!(href("/a", &[], 2), "/a?page=2");
    }

    #[tokio::test]
    async fn past_the_end_is_the_last_page() {
        let rows: Vec<u64> = (0..120).collect();
        let fetch = |off: u64| {
            let page: Vec<u64> = rows.iter().copied().skip(off as usize).take(50).collect();
            async move { Ok::<_, ()>((page, 120)) }
        };
        assert_eq!(
            fetch_page(9, 50, &fetch).await.map(|r| (r.0.len(), r.2)),
            Ok((20, 3))
        );
        assert_eq!(
            fetch_page(2, 50, &fetch).await.map(|r| (r.0[0], r.2)),
            Ok((50, 2))
        );
        let none = |_| async { Ok::<(Vec<u64>, u64), ()>((vec![], 0)) };
        assert_eq!(fetch_page(4, 50, none).await.map(|r| r.2), Ok(4));
    }

    #[test]
    fn page_numbers_from_the_query_are_bounded() {
        assert_eq!(page_number(None), 1);
        assert_eq!(page_number(Some("abc")), 1);
        assert_eq!(page_number(Some("0")), 1);
        assert_eq!(page_number(Some(" 7 ")), 7);
        assert_eq!(page_number(Some("99999999999999999999")), 1);
        assert_eq!(page_number(Some("5000000")), 1_000_000);
        assert_eq!(offset(3, 50), 100);
        assert_eq!(offset(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(last_page(120, 50), 3);
        assert_eq!(last_page(0, 50), 1);
    }
}
