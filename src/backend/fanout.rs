//! Many small requests at once: flavors whose listing lacks each secret's version (GCP,
//! Azure) fetch it per secret on a bounded number of threads, stopping at the first failure
//! that is not about one secret.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::BackendError;

/// As many requests at once as the sync engine's pool runs.
pub(crate) const WORKERS: usize = 8;

/// `f` applied to every item on up to [`WORKERS`] threads; results in the items' order. The
/// first `Err` stops the others (they finish the request in hand) and is returned.
pub(crate) fn each<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R, BackendError> + Sync,
) -> Result<Vec<R>, BackendError> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    let first_error: Mutex<Option<BackendError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..WORKERS.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { return };
                    match f(item) {
                        Ok(r) => results
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((i, r)),
                        Err(e) => {
                            first_error
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .get_or_insert(e);
                            next.store(usize::MAX / 2, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|(i, _)| *i);
    Ok(results.into_iter().map(|(_, r)| r).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_stops_at_an_error() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(each(&items, |i| Ok(i * 2)).unwrap()[99], 198);
        let e = each(&items, |i| {
            if *i == 50 {
                Err(BackendError::Protocol {
                    backend: "t".into(),
                    detail: "boom".into(),
                })
            } else {
                Ok(*i)
            }
        })
        .unwrap_err();
        assert!(e.to_string().contains("boom"));
        assert!(each(&[] as &[u32], |i| Ok(*i)).unwrap().is_empty());
    }
}
