//! The forwarding hot path: a publisher's SRTP video through the media core to N
//! subscribers, in SFU time per egress packet, next to the raw cost of the AEAD that SRTP
//! uses (AES-GCM; browsers negotiate AEAD_AES_256_GCM or AEAD_AES_128_GCM with str0m).

#[path = "../tests/sim/mod.rs"]
mod sim;

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use giaoban_media::SfuConfig;
use giaoban_model::TrackKind;
use sim::Sim;

/// A publisher and `subscribers` receivers, connected, media flowing.
fn room(subscribers: usize) -> Sim {
    // The server's configuration: bandwidth estimation and str0m's pacer on.
    let config = SfuConfig::new(sim::SERVER.parse().expect("address"));
    let mut sim = Sim::with_config(1, config);
    sim.join("b", "publisher");
    let names: Vec<String> = (0..subscribers).map(|i| format!("s{i}")).collect();
    for name in &names {
        sim.join("b", name);
        sim.client_mut(name).publishing = false;
    }
    let ok = sim.run_until(Duration::from_secs(20), |s| {
        names
            .iter()
            .all(|n| s.client(n).frames_from("publisher", TrackKind::Video) > 5)
    });
    assert!(ok, "the room did not come up");
    sim
}

fn forward(c: &mut Criterion) {
    let mut group = c.benchmark_group("forward");
    group.throughput(Throughput::Elements(1));
    for subscribers in [1usize, 10, 50] {
        let mut sim = room(subscribers);
        group.bench_with_input(
            BenchmarkId::new("per_egress_packet_fanout", subscribers),
            &subscribers,
            |b, _| {
                // One iteration is one datagram the SFU sends; the time is all the SFU spent
                // while the simulated publisher streams video at a real rate and the
                // subscribers send their feedback: incoming datagrams (SRTP decrypt,
                // forwarding and rewriting each packet, the subscribers' RTCP) and timers
                // (str0m releases a written packet to the wire on its next timeout; RTCP
                // reports, statistics).
                b.iter_custom(|iters| {
                    let busy = sim.sfu_busy + sim.sfu_busy_timers;
                    let sent = sim.sfu_transmits;
                    while sim.sfu_transmits - sent < iters {
                        sim.run(Duration::from_millis(10));
                    }
                    let spent = sim.sfu_busy + sim.sfu_busy_timers - busy;
                    let per_packet = spent.as_secs_f64() / (sim.sfu_transmits - sent) as f64;
                    Duration::from_secs_f64(per_packet * iters as f64)
                });
            },
        );
    }
    group.finish();
}

fn aead(c: &mut Criterion) {
    let mut group = c.benchmark_group("srtp_aead");
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &[7u8; 16]).expect("key"));
    let mut payload = vec![0u8; 1200];
    group.throughput(Throughput::Elements(1));
    group.bench_function("aes_128_gcm_seal_1200_bytes", |b| {
        let mut counter = 0u64;
        b.iter(|| {
            counter += 1;
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&counter.to_be_bytes());
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::from(&[0u8; 12]),
                    &mut payload,
                )
                .expect("seal");
            let _ = black_box(tag);
        });
    });
    group.finish();
}

criterion_group!(benches, aead, forward);
criterion_main!(benches);
