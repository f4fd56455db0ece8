//! The media port: one UDP socket and its ICE-TCP twin on the same port number, the addresses
//! they advertise, and the thread that runs the SFU between them.

pub mod addresses;
pub mod media_loop;
pub mod tcp;
pub mod udp_batch;
