//! The sync gate (issue #3): change sets from the overlay's upper layer, policy, review queue,
//! journaled apply with undo. OWNED BY THE SYNC-GATE WORK; placeholder until it lands.
