//! WebKitGTK settings for the vault's window (Linux only).
//!
//! The window shows forms and lists; it needs no GPU path. WebKit's
//! accelerated compositing costs a GL context and its buffers in the web
//! process, which on a machine without a GPU is Mesa's llvmpipe rendering
//! in software: measured with `make bench-desktop`, turning it off saves
//! more memory than anything else (and sidesteps the blank-window bugs of
//! some GPU drivers with WebKit's DMA-BUF renderer). `KEYCLAVE_GPU=1` keeps
//! WebKit's own policy for whoever wants it. The memory cache of a browser
//! is of no use for a page served from the app itself, so the cache model
//! is the smallest one.

/// The environment variable that keeps WebKit's default (GPU) policy.
pub const GPU_ENV: &str = "KEYCLAVE_GPU";

/// Apply the settings to the `main` window's webview, before its page is
/// drawn for the first time.
pub fn tune(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    {
        let keep_gpu = std::env::var_os(GPU_ENV).is_some_and(|v| v == "1");
        let result = window.with_webview(move |platform| {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            let view = platform.inner();
            if let Some(settings) = WebViewExt::settings(&view) {
                if !keep_gpu {
                    settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
                }
                settings.set_enable_webgl(false);
                settings.set_enable_webaudio(false);
                settings.set_enable_page_cache(false);
            }
            if let Some(context) = view.context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        });
        if let Err(e) = result {
            tracing::warn!("webview settings not applied: {e}");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}
