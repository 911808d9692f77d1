//! Built-in scripts, one or more per task type. A template is rendered for
//! a provider: `__DASHBOARD_URL__` becomes the provider's dashboard page
//! from the registry (or the base URL given), so the URL literal passes the
//! allowlist check. Every critical step sits behind its checkpoint, and a
//! rejection ends the run with `kc.abort`.

use serde::Serialize;

use super::TaskType;
use crate::error::{Error, Result};
use crate::providers;

/// A built-in script.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Template {
    /// Its name (`--template NAME`).
    pub name: &'static str,
    /// The task it does.
    pub task_type: TaskType,
    /// What it does, in a sentence.
    pub description: &'static str,
    /// Whether it drives a browser (needs `automation setup`).
    pub browser: bool,
    #[serde(skip)]
    source: &'static str,
}

const DASHBOARD_SCRAPE: &str = r##"# Read usage figures from the provider's dashboard.
import keyclave_runtime as kc

DASHBOARD = "__DASHBOARD_URL__"
# data_type -> CSS selector (KeyClave's selectors for this provider).
SELECTORS = __SELECTORS__


def main():
    browser = kc.browser()
    page = browser.new_page()
    page.goto(DASHBOARD)
    login = kc.checkpoint("account", "Log in to the provider's dashboard in the opened browser",
                          "Read the usage page once you are logged in", {"page": DASHBOARD})
    if not login.approved:
        kc.abort("not logged in")
    figures, missing = {}, []
    for data_type, selector in SELECTORS.items():
        element = page.query_selector(selector)
        if element is None:
            missing.append(data_type)
        else:
            figures[data_type] = element.inner_text().strip()
    browser.close()
    kc.result({"figures": figures, "missing": missing})


main()
"##;

const ROTATE_KEY: &str = r##"# Rotate an API key: create a new one, store it in the vault, revoke the old one.
import keyclave_runtime as kc

KEYS_PAGE = "__DASHBOARD_URL__"


def main():
    browser = kc.browser()
    page = browser.new_page()
    page.goto(KEYS_PAGE)
    create = kc.checkpoint("api_key", "Create a new API key on the provider's keys page",
                           "Click 'Create key' and read the new key", {"page": KEYS_PAGE})
    if not create.approved:
        kc.abort("key creation rejected")
    page.click("#create-key")
    new_key = page.inner_text("#new-key").strip()
    kc.store_secret("__KEY_NAME__", new_key)
    revoke = kc.checkpoint("irreversible", "Revoke the old API key",
                           "Click 'Revoke' on the old key", {"page": KEYS_PAGE})
    if not revoke.approved:
        browser.close()
        kc.result({"rotated": True, "old_key_revoked": False})
        return
    # Wait for the revocation request the click sends before closing.
    with page.expect_request_finished(lambda request: request.method != "GET", timeout=15000):
        page.click("#revoke-old-key")
    browser.close()
    kc.result({"rotated": True, "old_key_revoked": True})


main()
"##;

const SET_LIMIT: &str = r##"# Set a monthly spending limit (the amount can be changed in the dialog).
import keyclave_runtime as kc

BILLING_PAGE = "__DASHBOARD_URL__"


def main():
    browser = kc.browser()
    page = browser.new_page()
    page.goto(BILLING_PAGE)
    amount = "50"
    decision = kc.checkpoint("financial", "Set the monthly spending limit",
                             amount, {"page": BILLING_PAGE, "currency": "USD"})
    if not decision.approved:
        kc.abort("limit rejected")
    if decision.modified_action:
        amount = decision.modified_action.strip().lstrip("$")
    page.fill("#monthly-limit", amount)
    # Wait for the request the click sends before closing.
    with page.expect_request_finished(lambda request: request.method != "GET", timeout=15000):
        page.click("#save-limit")
    browser.close()
    kc.result({"monthly_limit": amount})


main()
"##;

const PAYMENT_GUIDED: &str = r##"# Add a payment method: you type the card details in the opened browser.
import keyclave_runtime as kc

BILLING_PAGE = "__DASHBOARD_URL__"


def main():
    browser = kc.browser()
    page = browser.new_page()
    page.goto(BILLING_PAGE)
    done = kc.checkpoint("financial", "Enter your payment details yourself in the opened browser",
                         "Leave the page when you have saved them", {"page": BILLING_PAGE})
    kc.result({"completed_by_person": bool(done.approved)})


main()
"##;

const ACCOUNT_GUIDED: &str = r##"# Create an account: you type the sensitive parts in the opened browser.
import keyclave_runtime as kc

SIGNUP_PAGE = "__DASHBOARD_URL__"


def main():
    browser = kc.browser()
    page = browser.new_page()
    page.goto(SIGNUP_PAGE)
    done = kc.checkpoint("account", "Create the account yourself in the opened browser",
                         "Continue once the account exists", {"page": SIGNUP_PAGE})
    kc.result({"completed_by_person": bool(done.approved)})


main()
"##;

const CUSTOM_SKELETON: &str = r##"# A custom script. Ask before anything critical; values come from the vault.
import keyclave_runtime as kc


def main():
    kc.log("starting")
    kc.result({"done": True})


main()
"##;

/// Every template.
pub const ALL: &[Template] = &[
    Template {
        name: "dashboard-scrape",
        task_type: TaskType::DashboardScrape,
        description: "Open the usage page, let you log in, read the figures by the provider's selectors",
        browser: true,
        source: DASHBOARD_SCRAPE,
    },
    Template {
        name: "rotate-key",
        task_type: TaskType::ApiKeyManagement,
        description: "Create a new key, store it in the vault, revoke the old one (each behind a checkpoint)",
        browser: true,
        source: ROTATE_KEY,
    },
    Template {
        name: "set-monthly-limit",
        task_type: TaskType::BillingRestriction,
        description: "Set a monthly spending limit; the amount can be changed in the dialog",
        browser: true,
        source: SET_LIMIT,
    },
    Template {
        name: "payment-guided",
        task_type: TaskType::PaymentConfig,
        description: "Open the billing page; you type the payment details yourself",
        browser: true,
        source: PAYMENT_GUIDED,
    },
    Template {
        name: "account-guided",
        task_type: TaskType::AccountCreation,
        description: "Open the sign-up page; you type the account details yourself",
        browser: true,
        source: ACCOUNT_GUIDED,
    },
    Template {
        name: "custom",
        task_type: TaskType::Custom,
        description: "A skeleton to edit and load with --from-file",
        browser: false,
        source: CUSTOM_SKELETON,
    },
];

/// A template by name.
pub fn get(name: &str) -> Result<&'static Template> {
    ALL.iter().find(|t| t.name == name).ok_or_else(|| {
        let names: Vec<&str> = ALL.iter().map(|t| t.name).collect();
        Error::invalid(format!("no template named {name:?}"))
            .with_suggestion(format!("Use one of: {}.", names.join(", ")))
    })
}

/// What to fill a template with.
#[derive(Debug, Clone, Default)]
pub struct Fill {
    /// The page to open (default: the provider's dashboard from the registry).
    pub url: Option<String>,
    /// CSS selectors by data type (dashboard scrape).
    pub selectors: Vec<(String, String)>,
}

impl Template {
    /// The source for `provider_id`.
    pub fn render(&self, provider_id: &str, fill: &Fill) -> Result<String> {
        let provider = providers::get(provider_id)
            .ok_or_else(|| Error::invalid(format!("unknown provider {provider_id:?}")))?;
        let url = fill.url.as_deref().or(provider.dashboard_url);
        let needs_url = self.source.contains("__DASHBOARD_URL__");
        let url = match (url, needs_url) {
            (Some(u), _) => u.to_string(),
            (None, false) => String::new(),
            (None, true) => {
                return Err(Error::invalid(format!(
                    "{} has no dashboard page in the registry",
                    provider.display_name
                ))
                .with_suggestion("Give the page to open with --url."));
            }
        };
        let selectors: serde_json::Map<String, serde_json::Value> =
            fill.selectors.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        let selectors =
            serde_json::to_string_pretty(&selectors).map_err(|e| Error::internal(e.to_string()))?;
        let key_name = if provider.env_var.is_empty() { "API_KEY" } else { provider.env_var };
        Ok(self
            .source
            .replace("__DASHBOARD_URL__", &url.replace('"', "%22"))
            .replace("__SELECTORS__", &selectors)
            .replace("__KEY_NAME__", key_name))
    }
}

/// The source of template `name` for `provider_id` in this vault: the
/// provider's CSS selectors filled in, `url` (or the registry's dashboard)
/// as the page. `automation.script_refused`-style bad input when the
/// template is for another task.
pub fn source_for(
    vault: &crate::vault::Vault,
    name: &str,
    task: TaskType,
    provider_id: &str,
    url: Option<String>,
) -> Result<String> {
    let t = get(name)?;
    if t.task_type != task && task != TaskType::Custom {
        return Err(Error::invalid(format!(
            "the template {name} is for {}, not {}",
            t.task_type.as_str(),
            task.as_str()
        )));
    }
    let selectors = super::selectors::list(vault, Some(provider_id))?
        .into_iter()
        .filter(|s| s.selector_type == "css")
        .map(|s| (s.data_type, s.value))
        .collect();
    t.render(provider_id, &Fill { url: url.filter(|u| !u.trim().is_empty()), selectors })
}
