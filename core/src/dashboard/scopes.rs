//! Scopes a project's docs name, and whether a key's scopes cover them —
//! the one dashboard warning no provider console can give.
//!
//! A scope counts as named when a cited line of a scanned project (a
//! requirement for the provider that the user has not rejected) holds it
//! in backticks, from the provider's vocabulary. Coverage follows the
//! provider's hierarchy where there is one: GitHub's `repo` covers
//! `repo:status`, `admin:org` covers `write:org` and `read:org`, `write:x`
//! covers `read:x`.

use rusqlite::Connection;

use crate::error::Result;

/// Scopes the dashboard knows to look for, per provider.
fn vocabulary(provider_id: &str) -> &'static [&'static str] {
    match provider_id {
        "github" => &[
            "repo",
            "repo:status",
            "repo_deployment",
            "public_repo",
            "repo:invite",
            "security_events",
            "workflow",
            "write:packages",
            "read:packages",
            "delete:packages",
            "admin:org",
            "write:org",
            "read:org",
            "admin:public_key",
            "write:public_key",
            "read:public_key",
            "admin:repo_hook",
            "write:repo_hook",
            "read:repo_hook",
            "admin:org_hook",
            "gist",
            "notifications",
            "user",
            "read:user",
            "user:email",
            "user:follow",
            "project",
            "read:project",
            "delete_repo",
            "write:discussion",
            "read:discussion",
            "admin:gpg_key",
            "write:gpg_key",
            "read:gpg_key",
            "codespace",
            "copilot",
        ],
        "gitlab" => &[
            "api",
            "read_api",
            "read_user",
            "read_repository",
            "write_repository",
            "read_registry",
            "write_registry",
            "sudo",
            "admin_mode",
            "create_runner",
            "ai_features",
            "k8s_proxy",
        ],
        "slack" => &[
            "chat:write",
            "chat:write.public",
            "channels:read",
            "channels:history",
            "channels:join",
            "groups:read",
            "im:write",
            "im:history",
            "users:read",
            "users:read.email",
            "files:write",
            "files:read",
            "reactions:write",
            "commands",
            "incoming-webhook",
            "app_mentions:read",
        ],
        "sendgrid" => &["mail.send", "templates.read", "stats.read", "suppression.read"],
        _ => &[],
    }
}

/// Whether `have` covers `need` for `provider_id`.
pub fn satisfied(provider_id: &str, need: &str, have: &[String]) -> bool {
    let has = |s: &str| have.iter().any(|h| h.eq_ignore_ascii_case(s));
    if has(need) {
        return true;
    }
    if provider_id == "github" {
        if let Some((head, tail)) = need.split_once(':') {
            // repo:status ⊂ repo, user:email ⊂ user.
            if has(head) {
                return true;
            }
            match head {
                "read" => return has(&format!("write:{tail}")) || has(&format!("admin:{tail}")),
                "write" => return has(&format!("admin:{tail}")),
                _ => {}
            }
        }
        return matches!(need, "public_repo" | "repo_deployment" | "security_events") && has("repo")
            || need == "read:user" && has("user");
    }
    if provider_id == "gitlab" {
        return need == "read_api" && has("api") || need == "read_repository" && has("write_repository");
    }
    false
}

/// Scopes named in backticks in `text` from `provider_id`'s vocabulary.
pub fn named_in(provider_id: &str, text: &str) -> Vec<String> {
    let vocab = vocabulary(provider_id);
    let mut out: Vec<String> = Vec::new();
    for (i, part) in text.split('`').enumerate() {
        // Odd parts are inside backticks.
        if i % 2 == 1 {
            let t = part.trim();
            if vocab.contains(&t) && !out.iter().any(|o| o == t) {
                out.push(t.to_owned());
            }
        }
    }
    out
}

/// `(project name, scope)` for every scope the scanned projects' docs name
/// for `provider_id` (requirements not rejected).
pub(crate) fn from_projects(conn: &Connection, provider_id: &str) -> Result<Vec<(String, String)>> {
    if vocabulary(provider_id).is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT p.display_name, r.citations_json FROM project_requirements r JOIN projects p ON p.id = r.project_id
         WHERE r.provider_id = ?1 AND r.user_status <> 'rejected' ORDER BY p.display_name",
    )?;
    let rows = stmt.query_map([provider_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out: Vec<(String, String)> = Vec::new();
    for row in rows {
        let (project, citations) = row?;
        let cites: Vec<serde_json::Value> = serde_json::from_str(&citations).unwrap_or_default();
        for c in cites {
            for scope in named_in(provider_id, c["excerpt"].as_str().unwrap_or("")) {
                if !out.iter().any(|(p, s)| p == &project && s == &scope) {
                    out.push((project.clone(), scope));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn github_hierarchy() {
        assert!(satisfied("github", "repo:status", &v(&["repo"])));
        assert!(satisfied("github", "read:org", &v(&["admin:org"])));
        assert!(satisfied("github", "read:packages", &v(&["write:packages"])));
        assert!(satisfied("github", "public_repo", &v(&["repo"])));
        assert!(!satisfied("github", "workflow", &v(&["repo", "read:org"])));
        assert!(!satisfied("github", "admin:org", &v(&["read:org"])));
        assert!(satisfied("gitlab", "read_api", &v(&["api"])));
    }

    #[test]
    fn scopes_in_backticks_from_the_vocabulary() {
        let line = "Create a token with the `repo` and `workflow` scopes (not `admin`), see `read:org`.";
        assert_eq!(named_in("github", line), ["repo", "workflow", "read:org"]);
        assert!(named_in("openai", line).is_empty());
    }
}
