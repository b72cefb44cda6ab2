//! macOS: ask Foundation about iCloud Drive / File Provider items and to download evicted ones.
//!
//! - `NSURLIsUbiquitousItemKey`: "whether this item is stored in iCloud" — the vault folder
//!   itself answers it (Apple: NSURLIsUbiquitousItemKey).
//! - `NSURLUbiquitousItemDownloadingStatusKey`: `…StatusCurrent` (the local copy is the newest),
//!   `…StatusDownloaded` (a local copy, maybe not the newest), `…StatusNotDownloaded` (evicted:
//!   only metadata on this Mac) (Apple: NSURLUbiquitousItemDownloadingStatusKey).
//! - `-[NSFileManager startDownloadingUbiquitousItemAtURL:error:]`: starts the download of an
//!   evicted item and returns at once; reading it afterwards (or coordinated reads) waits
//!   for it (Apple: startDownloadingUbiquitousItemAtURL:error:).

use super::kind::VaultKind;
use objc2::rc::Retained;
use objc2::runtime::AnyObject;
use objc2_foundation::{
    NSFileManager, NSNumber, NSString, NSURLIsUbiquitousItemKey, NSURLUbiquitousItemDownloadingStatusKey, NSURLUbiquitousItemDownloadingStatusNotDownloaded,
    NSURL,
};
use std::path::Path;

fn url(path: &Path) -> Option<Retained<NSURL>> {
    Some(NSURL::fileURLWithPath(&NSString::from_str(path.to_str()?)))
}

fn resource(url: &NSURL, key: &objc2_foundation::NSURLResourceKey) -> Option<Retained<AnyObject>> {
    let mut value: Option<Retained<AnyObject>> = None;
    // SAFETY: `value` receives an object of the key's documented type or nil.
    unsafe { url.getResourceValue_forKey_error(&mut value, key) }.ok()?;
    value
}

/// The folder is an iCloud (ubiquitous) item.
pub fn probe(path: &Path) -> Option<VaultKind> {
    let url = url(path)?;
    // SAFETY: an extern static NSString provided by Foundation.
    let key = unsafe { NSURLIsUbiquitousItemKey };
    let value = resource(&url, key)?;
    let number = value.downcast_ref::<NSNumber>()?;
    if number.boolValue() {
        Some(VaultKind::Provider {
            provider: "iCloud Drive".into(),
            why: "macOS says the folder is stored in iCloud (NSURLIsUbiquitousItemKey); iCloud may keep only placeholders of its files on this Mac".into(),
        })
    } else {
        None
    }
}

/// `Some(true)` when the item is evicted (NotDownloaded), `Some(false)` when it has a local
/// copy, `None` when it is not an iCloud item or macOS does not say.
pub fn evicted(path: &Path) -> Option<bool> {
    let url = url(path)?;
    // SAFETY: an extern static NSString provided by Foundation.
    let key = unsafe { NSURLUbiquitousItemDownloadingStatusKey };
    let value = resource(&url, key)?;
    let status = value.downcast_ref::<NSString>()?;
    // SAFETY: an extern static NSString provided by Foundation.
    let not_downloaded = unsafe { NSURLUbiquitousItemDownloadingStatusNotDownloaded };
    Some(status.isEqualToString(not_downloaded))
}

/// Ask iCloud to download `path` if it is evicted; returns at once (the read that follows
/// waits for it, retried by `stream.rs`).
pub fn start_download(path: &Path) -> Result<(), String> {
    if evicted(path) != Some(true) {
        return Ok(());
    }
    let url = url(path).ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
    NSFileManager::defaultManager().startDownloadingUbiquitousItemAtURL_error(&url).map_err(|e| e.localizedDescription().to_string())
}
