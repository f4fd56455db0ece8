//! Gives memory back to the system after many points left. The allocator keeps the pages a
//! join storm grew the heap to; once the connections that used them are gone (their queues,
//! sessions and buffers), trimming returns them, so that the server's memory follows the
//! briefings it serves instead of the largest one it ever served.

use std::sync::Arc;
use std::time::Duration;

use super::registry::Registry;

/// How often the number of connections is looked at.
pub const TRIM_POLL: Duration = Duration::from_secs(1);
/// Fewer connections than this at the peak are not worth a trim.
const MIN_PEAK: usize = 64;

/// Watches the number of connected points; when it fell to half of its peak since the last
/// trim, trims the heap on a blocking thread.
pub fn spawn(registry: Arc<Registry>, every: Duration) {
    tokio::spawn(async move {
        let mut peak = 0;
        loop {
            tokio::time::sleep(every).await;
            let connected = registry.connected();
            peak = peak.max(connected);
            if should_trim(peak, connected) {
                peak = connected;
                let _ = tokio::task::spawn_blocking(trim).await;
            }
        }
    });
}

fn should_trim(peak: usize, connected: usize) -> bool {
    peak >= MIN_PEAK && connected <= peak / 2
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim only releases free memory at the top of glibc's heaps and in its
    // arenas; it touches no memory in use and is safe to call from any thread.
    let released = unsafe { libc::malloc_trim(0) };
    tracing::debug!(released, "heap trimmed after points left");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

#[cfg(test)]
mod tests {
    use super::should_trim;

    #[test]
    fn trims_after_half_of_a_large_peak_left() {
        assert!(!should_trim(10, 0), "a small briefing is not worth it");
        assert!(!should_trim(300, 200));
        assert!(should_trim(300, 150));
        assert!(should_trim(1000, 0));
    }
}
