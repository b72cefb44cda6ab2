//! macOS: notifications through the system's own notification center (UserNotifications),
//! with real buttons instead of the older path's "Options" menu. Each kind of notification is a
//! category whose actions come from [`crate::notify::action_types`]; every decision (Approve,
//! Reject, Allow, Approve pairing) is marked authentication-required, so macOS asks for the
//! Mac to be unlocked before it reaches the app; a click on the body reports the default
//! action (`tap`), which only opens a window. It needs the app to run from its bundle
//! ([`available`]); otherwise the app falls back to notify-rust (`notify_desktop.rs`).

use crate::notify::{action_options, action_types, Notice};
use block2::RcBlock;
use objc2::rc::Retained;
use objc2::runtime::{Bool, NSObject, NSObjectProtocol, ProtocolObject};
use objc2::{define_class, msg_send, AllocAnyThread, DefinedClass};
use objc2_foundation::{NSArray, NSBundle, NSError, NSSet, NSString};
use objc2_user_notifications::{
    UNAuthorizationOptions, UNMutableNotificationContent, UNNotification, UNNotificationAction, UNNotificationActionOptions, UNNotificationCategory,
    UNNotificationCategoryOptions, UNNotificationDefaultActionIdentifier, UNNotificationDismissActionIdentifier, UNNotificationPresentationOptions,
    UNNotificationRequest, UNNotificationResponse, UNUserNotificationCenter, UNUserNotificationCenterDelegate,
};

type OnAction = Box<dyn Fn(String, String) + Send + Sync>;

/// What the delegate carries: the app's handler of (action id, notification id).
struct Ivars {
    on_action: OnAction,
}

define_class!(
    // SAFETY: NSObject has no subclassing requirements; the delegate adds no Drop.
    #[unsafe(super(NSObject))]
    #[name = "OpenClawSandboxNotificationDelegate"]
    #[ivars = Ivars]
    struct Delegate;

    unsafe impl NSObjectProtocol for Delegate {}

    unsafe impl UNUserNotificationCenterDelegate for Delegate {
        #[unsafe(method(userNotificationCenter:didReceiveNotificationResponse:withCompletionHandler:))]
        fn did_receive(&self, _center: &UNUserNotificationCenter, response: &UNNotificationResponse, completion: &block2::DynBlock<dyn Fn()>) {
            let action = response.actionIdentifier().to_string();
            // SAFETY: extern statics of UserNotifications, valid for the process's lifetime.
            let (default, dismiss) = unsafe { (UNNotificationDefaultActionIdentifier.to_string(), UNNotificationDismissActionIdentifier.to_string()) };
            if action != dismiss {
                let action = if action == default { crate::notify::actions::TAP.to_string() } else { action };
                let id = response.notification().request().identifier().to_string();
                (self.ivars().on_action)(action, id);
            }
            completion.call(());
        }

        #[unsafe(method(userNotificationCenter:willPresentNotification:withCompletionHandler:))]
        fn will_present(
            &self,
            _center: &UNUserNotificationCenter,
            _notification: &UNNotification,
            completion: &block2::DynBlock<dyn Fn(UNNotificationPresentationOptions)>,
        ) {
            // a menu-bar app is rarely frontmost; when it is, still show the banner
            completion.call((UNNotificationPresentationOptions::Banner | UNNotificationPresentationOptions::List,));
        }
    }
);

impl Delegate {
    fn new(on_action: OnAction) -> Retained<Self> {
        let this = Self::alloc().set_ivars(Ivars { on_action });
        // SAFETY: NSObject's designated initializer.
        unsafe { msg_send![super(this), init] }
    }
}

/// The notification center works only for an app with a bundle identifier (run from its
/// `.app`); `cargo run` and the bare binary fall back to notify-rust.
pub fn available() -> bool {
    NSBundle::mainBundle().bundleIdentifier().is_some()
}

fn categories() -> Retained<NSSet<UNNotificationCategory>> {
    let cats: Vec<Retained<UNNotificationCategory>> = action_types()
        .into_iter()
        .map(|(kind, acts)| {
            let actions: Vec<Retained<UNNotificationAction>> = acts
                .into_iter()
                .map(|(id, title)| {
                    let o = action_options(id);
                    let mut options = UNNotificationActionOptions::empty();
                    if o.requires_unlock {
                        options |= UNNotificationActionOptions::AuthenticationRequired;
                    }
                    if o.destructive {
                        options |= UNNotificationActionOptions::Destructive;
                    }
                    if o.opens_window {
                        options |= UNNotificationActionOptions::Foreground;
                    }
                    UNNotificationAction::actionWithIdentifier_title_options(&NSString::from_str(id), &NSString::from_str(title), options)
                })
                .collect();
            UNNotificationCategory::categoryWithIdentifier_actions_intentIdentifiers_options(
                &NSString::from_str(kind),
                &NSArray::from_retained_slice(&actions),
                &NSArray::new(),
                UNNotificationCategoryOptions::empty(),
            )
        })
        .collect();
    NSSet::from_retained_slice(&cats)
}

/// Ask for permission, register the categories and the delegate that reports clicks to
/// `on_action(action id, notification id)`. Once, at start-up.
pub fn register(on_action: impl Fn(String, String) + Send + Sync + 'static) {
    let center = UNUserNotificationCenter::currentNotificationCenter();
    let asked = RcBlock::new(|granted: Bool, error: *mut NSError| {
        if !granted.as_bool() {
            // SAFETY: the center passes a valid NSError or null.
            let why = unsafe { error.as_ref() }.map(|e| e.localizedDescription().to_string()).unwrap_or_else(|| "not allowed in System Settings".into());
            tracing::warn!("notifications are off for OpenClaw Sandbox ({why}); the tray still shows what needs you");
        }
    });
    center.requestAuthorizationWithOptions_completionHandler(UNAuthorizationOptions::Alert | UNAuthorizationOptions::Sound, &asked);
    center.setNotificationCategories(&categories());
    let delegate = Delegate::new(Box::new(on_action));
    center.setDelegate(Some(ProtocolObject::from_ref(&*delegate)));
    // The center holds its delegate weakly: this one lives as long as the app.
    std::mem::forget(delegate);
}

/// Show `notice` as notification `id` (its buttons from its category).
pub fn show(id: i32, notice: &Notice) {
    let content = UNMutableNotificationContent::new();
    content.setTitle(&NSString::from_str(&notice.title));
    content.setBody(&NSString::from_str(&notice.body));
    if let Some(kind) = notice.action_type {
        content.setCategoryIdentifier(&NSString::from_str(kind));
    }
    let request = UNNotificationRequest::requestWithIdentifier_content_trigger(&NSString::from_str(&id.to_string()), &content, None);
    let done = RcBlock::new(|error: *mut NSError| {
        // SAFETY: the center passes a valid NSError or null.
        if let Some(e) = unsafe { error.as_ref() } {
            tracing::warn!("cannot show a notification: {}", e.localizedDescription());
        }
    });
    UNUserNotificationCenter::currentNotificationCenter().addNotificationRequest_withCompletionHandler(&request, Some(&done));
}
