//! Minimal PEM reading: the base64 body between `-----BEGIN label-----` and `-----END label-----`.

use crate::alg::decode_base64;

/// Every PEM block in `text`, as (label, DER bytes). Blocks that do not decode are skipped.
pub fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let Some(after) = rest.get(start + 11..) else {
            break;
        };
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = after.get(..label_end).unwrap_or_default().to_string();
        let body_start = label_end + 5;
        let end_marker = format!("-----END {label}-----");
        let Some(body_len) = after.get(body_start..).and_then(|b| b.find(&end_marker)) else {
            break;
        };
        let body = after
            .get(body_start..body_start + body_len)
            .unwrap_or_default();
        if let Some(der) = decode_base64(body) {
            out.push((label, der));
        }
        rest = after
            .get(body_start + body_len + end_marker.len()..)
            .unwrap_or_default();
    }
    out
}
