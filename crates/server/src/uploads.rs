//! The limits on documents beyond the size of one file: quotas per point and per briefing
//! (counted by the store), how many uploads are received and how many downloads are sent at
//! once, and the free disk space below which no upload is accepted. See docs/SECURITY.md,
//! "Limits".

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use giaoban_model::{PointId, Problem, ProblemCode};
use giaoban_store::DocumentQuota;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::error::ApiError;

/// Default of `--max-uploads`. Each upload being received holds its file in memory (up to
/// 20 MiB) until it is stored: four bound that to 80 MiB, and a point's report of a few MiB
/// arrives in seconds, so that a fifth upload waits a moment rather than long.
pub const DEFAULT_MAX_UPLOADS: usize = 4;
/// Default of `--max-uploads-per-point`: the web client sends one file at a time, so a point
/// with more at once is a script, which should not take the whole server's share.
pub const DEFAULT_MAX_UPLOADS_PER_POINT: usize = 1;
/// Default of `--max-downloads`. A download holds one piece of its document
/// ([`crate::http::documents::DOWNLOAD_CHUNK`]) in memory at a time: 64 take about 16 MiB,
/// and a briefing's hundred points fetching the report at the start wait their turn.
pub const DEFAULT_MAX_DOWNLOADS: usize = 64;
/// Default of `--max-downloads-per-point`: a page opens a document or two at a time.
pub const DEFAULT_MAX_DOWNLOADS_PER_POINT: usize = 4;
/// How long a download waits for a place among those being sent before 503 `downloads_busy`.
pub const DOWNLOAD_WAIT: Duration = Duration::from_secs(30);
/// Default of `--documents-min-free-mb`: enough left for the database to write its journal
/// and for the other writes of a briefing (attendance, minutes) when documents stop.
pub const DEFAULT_MIN_FREE_MB: u64 = 1024;

/// The limits on documents, from the options of `giaoban serve`.
#[derive(Debug, Clone)]
pub struct UploadConfig {
    pub quota: DocumentQuota,
    /// Uploads received at once by the whole server.
    pub max_uploads: usize,
    /// Uploads received at once from one point (the organiser counts as one).
    pub max_uploads_per_point: usize,
    /// Downloads sent at once by the whole server; more wait up to `download_wait`.
    pub max_downloads: usize,
    /// Downloads sent at once to one point (the organiser counts as one); more are refused.
    pub max_downloads_per_point: usize,
    pub download_wait: Duration,
    /// Free space, in MB (10^6 bytes), below which uploads are refused.
    pub min_free_mb: u64,
    /// The data directory, whose file system holds the database.
    pub data_dir: PathBuf,
}

/// Uploads being received and downloads being sent, counted against [`UploadConfig`].
#[derive(Debug)]
pub struct Uploads {
    config: UploadConfig,
    receiving: Places,
    /// Downloads per point; the whole server's are the semaphore's.
    sending: Places,
    downloads: Arc<Semaphore>,
}

/// Places counted in all and by holder (`None`: the organiser).
#[derive(Debug, Default)]
struct Places(Mutex<(usize, HashMap<Option<PointId>, usize>)>);

/// Why a place was refused: the holder has `max` already, or the whole server has.
enum Refused {
    Own(usize),
    All(usize),
}

impl Places {
    fn lock(&self) -> MutexGuard<'_, (usize, HashMap<Option<PointId>, usize>)> {
        // Counting cannot panic half-way, so a poisoned lock is simply taken over.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn take(
        &self,
        holder: Option<&PointId>,
        max_own: usize,
        max_all: usize,
    ) -> Result<(), Refused> {
        let mut places = self.lock();
        let (all, by_holder) = &mut *places;
        let own = by_holder.get(&holder.cloned()).copied().unwrap_or(0);
        if own >= max_own {
            return Err(Refused::Own(max_own));
        }
        if *all >= max_all {
            return Err(Refused::All(max_all));
        }
        by_holder.insert(holder.cloned(), own + 1);
        *all += 1;
        Ok(())
    }

    fn give_back(&self, holder: &Option<PointId>) {
        let mut places = self.lock();
        let (all, by_holder) = &mut *places;
        *all = all.saturating_sub(1);
        if let Some(own) = by_holder.get_mut(holder) {
            *own = own.saturating_sub(1);
            if *own == 0 {
                by_holder.remove(holder);
            }
        }
    }
}

/// A place among the uploads being received, given back when dropped.
#[derive(Debug)]
pub struct UploadPermit {
    uploads: Arc<Uploads>,
    uploader: Option<PointId>,
}

/// A place among the downloads being sent, given back when dropped (when the response's body
/// is sent or the connection is gone).
#[derive(Debug)]
pub struct DownloadPermit {
    uploads: Arc<Uploads>,
    holder: Option<PointId>,
    _server: OwnedSemaphorePermit,
}

impl Uploads {
    pub fn new(config: UploadConfig) -> Arc<Uploads> {
        Arc::new(Uploads {
            downloads: Arc::new(Semaphore::new(config.max_downloads)),
            config,
            receiving: Places::default(),
            sending: Places::default(),
        })
    }

    pub fn config(&self) -> &UploadConfig {
        &self.config
    }

    /// Uploads being received now.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.receiving.lock().0
    }

    /// Downloads being sent now.
    #[cfg(test)]
    pub fn downloads_in_flight(&self) -> usize {
        self.sending.lock().0
    }

    /// A place for one more upload by `uploader`, or the refusal at once: 429
    /// `upload_in_progress` when the uploader has its share, 503 `uploads_busy` when the
    /// server has. Nothing waits.
    pub fn start(self: &Arc<Self>, uploader: Option<&PointId>) -> Result<UploadPermit, ApiError> {
        let c = &self.config;
        match self
            .receiving
            .take(uploader, c.max_uploads_per_point, c.max_uploads)
        {
            Ok(()) => Ok(UploadPermit {
                uploads: self.clone(),
                uploader: uploader.cloned(),
            }),
            Err(Refused::Own(max)) => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                Problem::new(ProblemCode::UploadInProgress).with("max", max),
            )),
            Err(Refused::All(max)) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                Problem::new(ProblemCode::UploadsBusy).with("max", max),
            )),
        }
    }

    /// A place for one more download to `holder`: 429 `download_in_progress` at once when
    /// the point has its share; when the server has its share, the download waits its turn
    /// (first come, first served) up to [`UploadConfig::download_wait`], then 503
    /// `downloads_busy`.
    pub async fn download(
        self: &Arc<Self>,
        holder: Option<&PointId>,
    ) -> Result<DownloadPermit, ApiError> {
        let c = &self.config;
        if let Err(Refused::Own(max) | Refused::All(max)) =
            self.sending
                .take(holder, c.max_downloads_per_point, usize::MAX)
        {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                Problem::new(ProblemCode::DownloadInProgress).with("max", max),
            ));
        }
        // From here the point's place is given back on every path, with the permit or here.
        let own = OwnPlace {
            uploads: self,
            holder: Some(holder.cloned()),
        };
        let server = tokio::time::timeout(c.download_wait, self.downloads.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Problem::new(ProblemCode::DownloadsBusy).with("max", c.max_downloads),
                )
            })?;
        let holder = own.keep();
        Ok(DownloadPermit {
            uploads: self.clone(),
            holder,
            _server: server,
        })
    }

    /// Ok while the data directory's file system has at least the floor free; 507
    /// `documents_disk_low` otherwise. A file system that cannot be asked counts as full.
    pub fn check_disk(&self) -> Result<(), ApiError> {
        let free_mb = match crate::disk::free_mb(&self.config.data_dir) {
            Ok(free) => free,
            Err(e) => {
                tracing::warn!(dir = %self.config.data_dir.display(), "free space unknown: {e}");
                0
            }
        };
        if free_mb >= self.config.min_free_mb {
            return Ok(());
        }
        tracing::warn!(
            free_mb,
            min_mb = self.config.min_free_mb,
            "document refused: the data directory's disk is short of space"
        );
        Err(ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            Problem::new(ProblemCode::DocumentsDiskLow)
                .with("free_mb", free_mb)
                .with("min_mb", self.config.min_free_mb),
        ))
    }
}

impl Drop for UploadPermit {
    fn drop(&mut self) {
        self.uploads.receiving.give_back(&self.uploader);
    }
}

impl Drop for DownloadPermit {
    fn drop(&mut self) {
        self.uploads.sending.give_back(&self.holder);
    }
}

/// A point's download place while it waits for the server's: given back unless kept.
struct OwnPlace<'a> {
    uploads: &'a Uploads,
    holder: Option<Option<PointId>>,
}

impl OwnPlace<'_> {
    fn keep(mut self) -> Option<PointId> {
        self.holder.take().flatten()
    }
}

impl Drop for OwnPlace<'_> {
    fn drop(&mut self) {
        if let Some(holder) = &self.holder {
            self.uploads.sending.give_back(holder);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploads(max_uploads: usize, per_point: usize, min_free_mb: u64) -> Arc<Uploads> {
        Uploads::new(UploadConfig {
            quota: DocumentQuota::DEFAULT,
            max_uploads,
            max_uploads_per_point: per_point,
            max_downloads: 2,
            max_downloads_per_point: 2,
            download_wait: Duration::from_millis(200),
            min_free_mb,
            data_dir: std::env::temp_dir(),
        })
    }

    fn code(refused: Result<UploadPermit, ApiError>) -> (StatusCode, ProblemCode) {
        let e = refused.unwrap_err();
        (e.status, e.problem.code())
    }

    #[test]
    fn places_are_shared_per_uploader_and_per_server_and_given_back() {
        let uploads = uploads(3, 2, 0);
        let a = PointId("a".into());
        let b = PointId("b".into());

        let a1 = uploads.start(Some(&a)).unwrap();
        let _a2 = uploads.start(Some(&a)).unwrap();
        let a3 = code(uploads.start(Some(&a)));
        let _organiser = uploads.start(None).unwrap();
        let b1 = code(uploads.start(Some(&b)));
        assert_eq!(uploads.in_flight(), 3);
        drop(a1);
        let b1_again = uploads.start(Some(&b));

        assert_eq!(
            a3,
            (StatusCode::TOO_MANY_REQUESTS, ProblemCode::UploadInProgress)
        );
        assert_eq!(
            b1,
            (StatusCode::SERVICE_UNAVAILABLE, ProblemCode::UploadsBusy)
        );
        assert!(b1_again.is_ok());
        assert_eq!(uploads.in_flight(), 3);
        drop(b1_again);
        assert!(!uploads.receiving.lock().1.contains_key(&Some(b)));
    }

    #[test]
    fn the_disk_floor_refuses_with_507() {
        assert!(uploads(1, 1, 0).check_disk().is_ok());

        let refused = uploads(1, 1, u64::MAX).check_disk().unwrap_err();

        assert_eq!(refused.status, StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(refused.problem.code(), ProblemCode::DocumentsDiskLow);
    }

    #[tokio::test]
    async fn downloads_wait_for_the_server_and_a_point_has_its_share() {
        let uploads = uploads(1, 1, 0);
        let a = PointId("a".into());
        let b = PointId("b".into());

        let a1 = uploads.download(Some(&a)).await.unwrap();
        let a2 = uploads.download(Some(&a)).await.unwrap();
        let a3 = uploads.download(Some(&a)).await.unwrap_err();
        // The server's two places are taken: b waits, and gets one when a's first is done.
        let waiting = tokio::spawn({
            let uploads = uploads.clone();
            let b = b.clone();
            async move { uploads.download(Some(&b)).await.map(|_| ()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let waited = !waiting.is_finished();
        drop(a1);
        let b_after_wait = waiting.await.unwrap();
        // Nobody gives back a place: the next one waits out its time.
        let _b2 = uploads.download(Some(&b)).await.unwrap();
        let busy = uploads.download(None).await.unwrap_err();
        drop(a2);
        let places = uploads.sending.lock().clone();

        assert_eq!(
            (a3.status, a3.problem.code()),
            (
                StatusCode::TOO_MANY_REQUESTS,
                ProblemCode::DownloadInProgress
            )
        );
        assert!(waited, "b got a place while the server's two were taken");
        assert!(b_after_wait.is_ok());
        assert_eq!(
            (busy.status, busy.problem.code()),
            (StatusCode::SERVICE_UNAVAILABLE, ProblemCode::DownloadsBusy)
        );
        // The organiser's refused wait and a's finished downloads left no count behind.
        assert_eq!(places, (1, HashMap::from([(Some(b), 1)])));
    }
}
