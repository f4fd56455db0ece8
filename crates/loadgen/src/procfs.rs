//! CPU time and resident memory of one process from `/proc/<pid>/stat` and `/status`
//! (proc(5)). Only the process named is read: the server's figures never include the load
//! generator's, and the other way round.

use std::fs;
use std::io;
use std::time::Instant;

/// Clock ticks per second of `/proc/<pid>/stat` times: `USER_HZ`, 100 on every Linux ABI.
const USER_HZ: f64 = 100.0;

/// A process: the server by pid, or this load generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    Pid(u32),
    Myself,
}

/// One reading.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Instant,
    /// User plus system CPU time, seconds, all threads.
    pub cpu_s: f64,
    /// Resident set size, kB.
    pub rss_kb: u64,
}

impl Process {
    fn dir(self) -> String {
        match self {
            Process::Pid(pid) => format!("/proc/{pid}"),
            Process::Myself => "/proc/self".to_string(),
        }
    }

    /// The command name (`comm`), to check that a pid is what the user says it is.
    pub fn name(self) -> io::Result<String> {
        Ok(fs::read_to_string(format!("{}/comm", self.dir()))?
            .trim()
            .to_string())
    }

    pub fn sample(self) -> io::Result<Sample> {
        let at = Instant::now();
        let stat = fs::read_to_string(format!("{}/stat", self.dir()))?;
        let status = fs::read_to_string(format!("{}/status", self.dir()))?;
        let cpu_s = parse_cpu_seconds(&stat)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unexpected stat"))?;
        let rss_kb = parse_rss_kb(&status)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS in status"))?;
        Ok(Sample { at, cpu_s, rss_kb })
    }
}

/// `utime` + `stime` (fields 14 and 15) in seconds. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted after its closing parenthesis.
fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // Field 3 (state) is the first after the name; utime is field 14.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / USER_HZ)
}

fn parse_rss_kb(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_time_after_an_awkward_name() {
        let stat = "4242 (giao ban) (x)) S 1 4242 4242 0 -1 4194560 2513 0 0 0 150 75 0 0 \
                    20 0 9 0 12345 987654321 3000 18446744073709551615";
        assert_eq!(parse_cpu_seconds(stat), Some(2.25));
    }

    #[test]
    fn reads_resident_memory() {
        let status = "Name:\tgiaoban\nVmPeak:\t  200000 kB\nVmRSS:\t   51234 kB\nThreads:\t9\n";
        assert_eq!(parse_rss_kb(status), Some(51234));
    }

    #[test]
    fn samples_this_process() {
        let sample = Process::Myself.sample().unwrap();
        assert!(sample.rss_kb > 0);
    }
}
