//! Invitation links: what the command line prints and the admin API returns.

use anyhow::bail;
use giaoban_model::BriefingId;
use giaoban_store::{NewBriefing, Store};
use serde::Serialize;

/// Setting under which `serve` records the base URL its links use.
pub const BASE_URL_SETTING: &str = "base_url";

/// One join link, as printed by the CLI and returned by the admin API.
#[derive(Debug, Serialize)]
pub struct Link {
    pub point: String,
    pub role: giaoban_model::Role,
    pub url: String,
    /// The unit the point stands for, when it was invited as a unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
}

/// A created briefing with its links, host first.
#[derive(Debug, Serialize)]
pub struct Created {
    pub id: String,
    pub links: Vec<Link>,
}

/// Creates a briefing and its links.
pub fn create_briefing(store: &Store, new: &NewBriefing, base: &str) -> anyhow::Result<Created> {
    let briefing = store.create_briefing(new)?;
    links_of(store, &briefing.id, base).map(|links| Created {
        id: briefing.id.0.clone(),
        links,
    })
}

/// Links of every point of a briefing, host first.
pub fn links_of(store: &Store, id: &BriefingId, base: &str) -> anyhow::Result<Vec<Link>> {
    Ok(store
        .points(id)?
        .iter()
        .map(|p| Link {
            point: p.name.clone(),
            role: p.role,
            url: format!("{base}/j/{}", store.token_for(p)),
            unit_code: p.unit_code.as_ref().map(ToString::to_string),
        })
        .collect())
}

/// The one-time admin login link.
pub fn admin_login_url(base: &str, code: &str) -> String {
    format!("{base}/admin/login?code={code}")
}

/// Checks a base URL and drops a trailing slash.
pub fn normalise_base_url(url: &str) -> anyhow::Result<String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 9 {
        bail!("base URL must start with http:// or https://, got {url:?}");
    }
    Ok(url.to_string())
}
