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

/// The offset of `page` (from 1) in pages of `size`.
pub fn offset(page: u64, size: u64) -> u64 {
    page.saturating_sub(1).saturating_mul(size)
}

/// The last page of `total` rows in pages of `size` (1 when there are none).
pub fn last_page(total: u64, size: u64) -> u64 {
    total.div_ceil(size.max(1)).max(1)
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
