//! Flow control, as RabbitMQ's resource alarms: a memory high watermark and a disk free space
//! limit, watched by a monitor task ([`monitor`], started by [`Broker::start`]). The alarm is
//! broker-wide; connections watch it ([`Resources::subscribe`]) and a connection that
//! publishes while it is set is blocked: it is sent `connection.blocked` (if it announced the
//! `connection.blocked` capability) and no longer read from, while deliveries to it go on,
//! until the alarm clears (`connection.unblocked`).
//!
//! [`Broker::start`]: crate::Broker::start

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tokio::sync::watch;

pub use crate::config::{parse_bytes, MemoryWatermark, DEFAULT_DISK_FREE_LIMIT};

/// How often the monitor measures memory and disk (RabbitMQ: memory every 500 ms, disk
/// every 50 ms to 10 s depending on the free space).
pub const CHECK_INTERVAL: Duration = Duration::from_millis(250);
/// Which alarms are set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResourceAlarms {
    /// Resident memory is above the high watermark.
    pub memory: bool,
    /// Free disk space is below the limit.
    pub disk: bool,
}

impl ResourceAlarms {
    /// Whether publishers are to be blocked.
    pub fn any(&self) -> bool {
        self.memory || self.disk
    }

    /// The `connection.blocked` reason, in RabbitMQ's words.
    pub fn reason(&self) -> &'static str {
        match (self.memory, self.disk) {
            (true, true) => "low on memory & disk",
            (false, true) => "low on disk",
            _ => "low on memory",
        }
    }
}

/// The alarms' settings, state and measurements; shared (`Arc`) by the broker state, the
/// monitor task and whoever watches the alarms.
#[derive(Debug)]
pub struct Resources {
    watermark: RwLock<MemoryWatermark>,
    disk_free_limit: AtomicU64,
    disk_path: Option<PathBuf>,
    alarms: watch::Sender<ResourceAlarms>,
    probe: Mutex<Probe>,
}

struct Probe {
    system: sysinfo::System,
    pid: Option<sysinfo::Pid>,
    total_memory: u64,
    disk_error_logged: bool,
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("pid", &self.pid)
            .field("total_memory", &self.total_memory)
            .finish()
    }
}

impl Resources {
    /// Alarms off until the first check; free space is measured where `disk_path` is (the
    /// data directory; `None`: the current directory).
    pub fn new(
        watermark: MemoryWatermark,
        disk_free_limit: u64,
        disk_path: Option<PathBuf>,
    ) -> Resources {
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        let mut total_memory = system.total_memory();
        if let Some(cg) = system.cgroup_limits() {
            if cg.total_memory > 0 {
                total_memory = total_memory.min(cg.total_memory);
            }
        }
        Resources {
            watermark: RwLock::new(watermark),
            disk_free_limit: AtomicU64::new(disk_free_limit),
            disk_path,
            alarms: watch::channel(ResourceAlarms::default()).0,
            probe: Mutex::new(Probe {
                system,
                pid: sysinfo::get_current_pid().ok(),
                total_memory,
                disk_error_logged: false,
            }),
        }
    }

    /// The alarms in force.
    pub fn alarms(&self) -> ResourceAlarms {
        *self.alarms.borrow()
    }

    /// Watches the alarms.
    pub fn subscribe(&self) -> watch::Receiver<ResourceAlarms> {
        self.alarms.subscribe()
    }

    /// The memory high watermark.
    pub fn memory_high_watermark(&self) -> MemoryWatermark {
        *self.watermark.read()
    }

    /// Changes the memory high watermark and checks at once (RabbitMQ's
    /// `rabbitmqctl set_vm_memory_high_watermark`).
    pub fn set_memory_high_watermark(&self, watermark: MemoryWatermark) {
        *self.watermark.write() = watermark;
        self.check();
    }

    /// The free disk space limit, bytes.
    pub fn disk_free_limit(&self) -> u64 {
        self.disk_free_limit.load(Ordering::Relaxed)
    }

    /// Changes the free disk space limit and checks at once (RabbitMQ's
    /// `rabbitmqctl set_disk_free_limit`).
    pub fn set_disk_free_limit(&self, bytes: u64) {
        self.disk_free_limit.store(bytes, Ordering::Relaxed);
        self.check();
    }

    /// The machine's RAM (or the cgroup's limit, if lower), bytes.
    pub fn total_memory(&self) -> u64 {
        self.probe.lock().total_memory
    }

    /// The memory high watermark in bytes.
    pub fn memory_limit(&self) -> u64 {
        self.memory_high_watermark().limit(self.total_memory())
    }

    /// Measures memory and disk and sets or clears the alarms.
    pub fn check(&self) {
        let mut probe = self.probe.lock();
        let memory_limit = self.memory_high_watermark().limit(probe.total_memory);
        let disk_limit = self.disk_free_limit();
        let used = probe.resident_memory();
        let free = match self.disk_free() {
            Ok(free) => Some(free),
            Err(e) => {
                if !probe.disk_error_logged {
                    probe.disk_error_logged = true;
                    tracing::warn!("cannot measure free disk space: {e}; disk alarm disabled");
                }
                None
            }
        };
        drop(probe);
        let next = ResourceAlarms {
            memory: used.is_some_and(|used| used > memory_limit),
            disk: free.is_some_and(|free| free < disk_limit),
        };
        let before = self.alarms();
        if before == next {
            return;
        }
        if next.memory != before.memory {
            let used = used.unwrap_or(0);
            if next.memory {
                tracing::warn!(
                    used,
                    limit = memory_limit,
                    "memory resource limit alarm set: publishers are blocked"
                );
            } else {
                tracing::info!(
                    used,
                    limit = memory_limit,
                    "memory resource limit alarm cleared"
                );
            }
        }
        if next.disk != before.disk {
            let free = free.unwrap_or(0);
            if next.disk {
                tracing::warn!(
                    free,
                    limit = disk_limit,
                    "disk resource limit alarm set: publishers are blocked"
                );
            } else {
                tracing::info!(
                    free,
                    limit = disk_limit,
                    "disk resource limit alarm cleared"
                );
            }
        }
        self.alarms.send_replace(next);
    }

    /// Free space for unprivileged users where the data directory is (or would be: its
    /// nearest existing ancestor).
    pub fn disk_free(&self) -> std::io::Result<u64> {
        let path = self.disk_path.as_deref().unwrap_or(Path::new("."));
        let existing = path
            .ancestors()
            .find(|p| !p.as_os_str().is_empty() && p.exists())
            .unwrap_or(Path::new("."));
        fs4::available_space(existing)
    }
}

impl Probe {
    /// The process's resident memory, bytes.
    fn resident_memory(&mut self) -> Option<u64> {
        let pid = self.pid?;
        self.system.refresh_processes_specifics(
            sysinfo::ProcessesToUpdate::Some(&[pid]),
            true,
            sysinfo::ProcessRefreshKind::nothing().with_memory(),
        );
        self.system.process(pid).map(sysinfo::Process::memory)
    }
}

/// Checks the resources every [`CHECK_INTERVAL`] until shutdown.
pub(crate) async fn monitor(resources: Arc<Resources>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(CHECK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let resources = resources.clone();
                // /proc and statvfs: quick, but system calls all the same.
                let _ = tokio::task::spawn_blocking(move || resources.check()).await;
            }
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_watermarks_and_sizes() {
        assert_eq!(
            "0.4".parse::<MemoryWatermark>().unwrap(),
            MemoryWatermark::Relative(0.4)
        );
        assert_eq!(
            "2GiB".parse::<MemoryWatermark>().unwrap(),
            MemoryWatermark::Absolute(2 << 30)
        );
        assert_eq!(
            "1024".parse::<MemoryWatermark>().unwrap(),
            MemoryWatermark::Absolute(1024)
        );
        assert!("-0.5".parse::<MemoryWatermark>().is_err());
        assert_eq!(parse_bytes("50MB").unwrap(), 50_000_000);
        assert_eq!(parse_bytes("1 kib").unwrap(), 1024);
        assert!(parse_bytes("12 parsecs").is_err());
        assert_eq!(MemoryWatermark::Relative(0.5).limit(1000), 500);
    }

    #[test]
    fn measures() {
        let r = Resources::new(MemoryWatermark::default(), DEFAULT_DISK_FREE_LIMIT, None);
        assert!(r.total_memory() > 0);
        assert!(r.disk_free().unwrap() > 0);
        r.set_memory_high_watermark(MemoryWatermark::Absolute(1));
        assert!(r.alarms().memory);
        assert_eq!(r.alarms().reason(), "low on memory");
        r.set_memory_high_watermark(MemoryWatermark::Absolute(u64::MAX));
        assert!(!r.alarms().memory);
        r.set_disk_free_limit(u64::MAX);
        assert_eq!(r.alarms().reason(), "low on disk");
        r.set_disk_free_limit(0);
        assert!(!r.alarms().any());
    }
}
