//! The media port: one UDP socket and its ICE-TCP twin on the same port number, the addresses
//! they advertise, and the media threads (the first of which reads the port and sorts datagrams by briefing)
//! that run the SFU.

pub mod addresses;
pub mod dispatch;
pub mod media_loop;
pub mod record_tap;
pub mod route;
pub mod stats;
pub mod tcp;
pub mod udp_batch;
