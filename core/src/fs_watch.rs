//! What a file-system watch event means to a follower: a change, or only a look.
//!
//! notify 8's inotify backend watches opens too (`WatchMask::OPEN` in notify's `src/inotify.rs`,
//! reported as `EventKind::Access(Open)`), and a follower that reads what changed opens it: each
//! look would wake it again. Seen: the app re-reading its profile and listing the review queue
//! about twenty times a second at idle, and `limactl list` opening the `.pid` files the VM
//! follower watches. macOS's FSEvents reports no opens, so this only bit on Linux.

/// Does this event say something may have changed (created, written, renamed, removed,
/// attributes)? Opens and reads do not; a close after writing does.
pub fn is_change(ev: &notify::Event) -> bool {
    use notify::event::{AccessKind, AccessMode, EventKind};
    match ev.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, AccessMode, CreateKind, EventKind, ModifyKind, RemoveKind};

    #[test]
    fn opens_and_reads_are_looks_writes_and_renames_are_changes() {
        let ev = |kind| notify::Event::new(kind);
        for look in [AccessKind::Open(AccessMode::Any), AccessKind::Read, AccessKind::Close(AccessMode::Read), AccessKind::Any] {
            assert!(!is_change(&ev(EventKind::Access(look))), "{look:?}");
        }
        for change in [
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Any),
            EventKind::Remove(RemoveKind::File),
            EventKind::Any,
        ] {
            assert!(is_change(&ev(change)), "{change:?}");
        }
    }
}
