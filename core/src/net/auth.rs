//! Attaching a key to a request the way its provider expects: a bearer
//! or scheme header, HTTP Basic (alone or with the companion id), a named
//! header, a query value, or an AWS SigV4 signature (the official signer).
//! Every credential header is marked sensitive (never logged, dropped on a
//! redirect to another host).

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};

use super::Request;
use crate::crypto::SecretString;
use crate::error::{Error, Result};
use crate::providers::AuthStyle;

/// Attach `key` (and the companion, for the styles that need it) to `req`.
pub(crate) fn attach(
    req: &mut Request,
    style: AuthStyle,
    key: &SecretString,
    companion: Option<&SecretString>,
) -> Result<()> {
    let value = key.expose_secret();
    match style {
        AuthStyle::Bearer => {
            req.credential(AUTHORIZATION, &zeroize::Zeroizing::new(format!("Bearer {value}")))?
        }
        AuthStyle::Scheme(scheme) => {
            req.credential(AUTHORIZATION, &zeroize::Zeroizing::new(format!("{scheme} {value}")))?;
        }
        AuthStyle::Basic => req.credential(AUTHORIZATION, &basic(value, ""))?,
        AuthStyle::BasicCompanion => {
            let user = companion.ok_or_else(|| Error::internal("a companion check without its companion"))?;
            req.credential(AUTHORIZATION, &basic(user.expose_secret(), value))?;
        }
        AuthStyle::Header(name) => {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::internal("a registry header name is invalid"))?;
            req.credential(name, value)?;
        }
        AuthStyle::Query(name) => {
            req.url.query_pairs_mut().append_pair(name, value);
        }
        AuthStyle::AwsSigV4 => {
            let key_id = companion.ok_or_else(|| Error::internal("a SigV4 check without its key id"))?;
            sign_sts(req, key_id.expose_secret(), value)?;
        }
    }
    Ok(())
}

fn basic(user: &str, password: &str) -> zeroize::Zeroizing<String> {
    use base64::Engine;
    let pair = zeroize::Zeroizing::new(format!("{user}:{password}"));
    zeroize::Zeroizing::new(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair.as_bytes())
    ))
}

/// Sign the STS `GetCallerIdentity` POST with the official SigV4 signer.
fn sign_sts(req: &mut Request, key_id: &str, secret: &str) -> Result<()> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    const BODY: &[u8] = b"Action=GetCallerIdentity&Version=2011-06-15";
    let creds = aws_credential_types::Credentials::new(key_id, secret, None, None, "keyclave");
    let identity = creds.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(std::time::SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| Error::internal(format!("SigV4 parameters: {e}")))?
        .into();
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let signable = SignableRequest::new(
        "POST",
        req.url.as_str(),
        std::iter::once(("content-type", content_type)),
        SignableBody::Bytes(BODY),
    )
    .map_err(|e| Error::internal(format!("SigV4 request: {e}")))?;
    let (instructions, _signature) =
        sign(signable, &params).map_err(|e| Error::internal(format!("SigV4 signing: {e}")))?.into_parts();
    req.headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in instructions.headers() {
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::internal("SigV4 header name"))?;
        // The signature is derived from the secret: sensitive like it.
        req.credential(name, value)?;
    }
    req.body = Some(BODY.to_vec());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_user_colon_password() {
        assert_eq!(*basic("AC123", "tok"), "Basic QUMxMjM6dG9r");
        assert_eq!(*basic("sk_test_x", ""), "Basic c2tfdGVzdF94Og==");
    }
}
