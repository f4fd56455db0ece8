//! The limits on document uploads beyond the size of one file: quotas per point and per
//! briefing (counted by the store), how many uploads are received at once, and the free disk
//! space below which none is accepted. See docs/SECURITY.md, "Limits".

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::StatusCode;
use giaoban_model::{PointId, Problem, ProblemCode};
use giaoban_store::DocumentQuota;

use crate::http::error::ApiError;

/// Default of `--max-uploads`. Each upload being received holds its file in memory (up to
/// 20 MiB) until it is stored: four bound that to 80 MiB, and a point's report of a few MiB
/// arrives in seconds, so that a fifth upload waits a moment rather than long.
pub const DEFAULT_MAX_UPLOADS: usize = 4;
/// Default of `--max-uploads-per-point`: the web client sends one file at a time, so a point
/// with more at once is a script, which should not take the whole server's share.
pub const DEFAULT_MAX_UPLOADS_PER_POINT: usize = 1;
/// Default of `--documents-min-free-mb`: enough left for the database to write its journal
/// and for the other writes of a briefing (attendance, minutes) when documents stop.
pub const DEFAULT_MIN_FREE_MB: u64 = 1024;

/// The limits on uploads, from the options of `giaoban serve`.
#[derive(Debug, Clone)]
pub struct UploadConfig {
    pub quota: DocumentQuota,
    /// Uploads received at once by the whole server.
    pub max_uploads: usize,
    /// Uploads received at once from one point (the organiser counts as one).
    pub max_uploads_per_point: usize,
    /// Free space, in MB (10^6 bytes), below which uploads are refused.
    pub min_free_mb: u64,
    /// The data directory, whose file system holds the database.
    pub data_dir: PathBuf,
}

/// The uploads being received, counted against [`UploadConfig`].
#[derive(Debug)]
pub struct Uploads {
    config: UploadConfig,
    /// Uploads being received, in all and by uploader (`None`: the organiser).
    receiving: Mutex<(usize, HashMap<Option<PointId>, usize>)>,
}

/// A place among the uploads being received, given back when dropped.
#[derive(Debug)]
pub struct UploadPermit {
    uploads: Arc<Uploads>,
    uploader: Option<PointId>,
}

impl Uploads {
    pub fn new(config: UploadConfig) -> Arc<Uploads> {
        Arc::new(Uploads {
            config,
            receiving: Mutex::default(),
        })
    }

    pub fn config(&self) -> &UploadConfig {
        &self.config
    }

    fn receiving(&self) -> MutexGuard<'_, (usize, HashMap<Option<PointId>, usize>)> {
        // Counting cannot panic half-way, so a poisoned lock is simply taken over.
        self.receiving
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Uploads being received now.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.receiving().0
    }

    /// A place for one more upload by `uploader`, or the refusal at once: 429
    /// `upload_in_progress` when the uploader has its share, 503 `uploads_busy` when the
    /// server has. Nothing waits.
    pub fn start(self: &Arc<Self>, uploader: Option<&PointId>) -> Result<UploadPermit, ApiError> {
        let mut receiving = self.receiving();
        let (all, by_uploader) = &mut *receiving;
        let own = by_uploader.entry(uploader.cloned()).or_insert(0);
        if *own >= self.config.max_uploads_per_point {
            let max = self.config.max_uploads_per_point;
            if *own == 0 {
                by_uploader.remove(&uploader.cloned());
            }
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                Problem::new(ProblemCode::UploadInProgress).with("max", max),
            ));
        }
        if *all >= self.config.max_uploads {
            if *own == 0 {
                by_uploader.remove(&uploader.cloned());
            }
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                Problem::new(ProblemCode::UploadsBusy).with("max", self.config.max_uploads),
            ));
        }
        *own += 1;
        *all += 1;
        Ok(UploadPermit {
            uploads: self.clone(),
            uploader: uploader.cloned(),
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
        let mut receiving = self.uploads.receiving();
        let (all, by_uploader) = &mut *receiving;
        *all = all.saturating_sub(1);
        if let Some(own) = by_uploader.get_mut(&self.uploader) {
            *own = own.saturating_sub(1);
            if *own == 0 {
                by_uploader.remove(&self.uploader);
            }
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
        assert!(!uploads.receiving().1.contains_key(&Some(b)));
    }

    #[test]
    fn the_disk_floor_refuses_with_507() {
        assert!(uploads(1, 1, 0).check_disk().is_ok());

        let refused = uploads(1, 1, u64::MAX).check_disk().unwrap_err();

        assert_eq!(refused.status, StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(refused.problem.code(), ProblemCode::DocumentsDiskLow);
    }
}
