//! Group commit (成组提交): concurrent writers of the same kind share one transaction, so that
//! one durable commit (one fsync) carries many of them. A request waits only while the batch
//! before it commits; alone, it goes through at once in a batch of one.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::{DbError, StoreResult};

type Job<I, O> = (I, oneshot::Sender<StoreResult<O>>);

/// A queue in front of a batch-writing function.
pub struct Batcher<I, O> {
    tx: mpsc::Sender<Job<I, O>>,
}

impl<I, O> Clone for Batcher<I, O> {
    fn clone(&self) -> Self {
        Batcher {
            tx: self.tx.clone(),
        }
    }
}

impl<I, O> std::fmt::Debug for Batcher<I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// Start the queue's task on the current Tokio runtime. `run` writes a batch of at most
    /// `max` items in one transaction and returns one result per item, in order; at most
    /// `parallel` batches are in flight at once (1 for SQLite's single writer).
    pub fn spawn<F, Fut>(max: usize, parallel: usize, run: F) -> Batcher<I, O>
    where
        F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<StoreResult<O>>> + Send + 'static,
    {
        let (tx, mut rx) = mpsc::channel::<Job<I, O>>(max * parallel * 4);
        let run = Arc::new(run);
        let slots = Arc::new(Semaphore::new(parallel));
        tokio::spawn(async move {
            let mut jobs = Vec::with_capacity(max);
            loop {
                // Wait for a free slot first: while every slot is busy, requests gather in
                // the queue and the next batch takes them all.
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                if rx.recv_many(&mut jobs, max).await == 0 {
                    return;
                }
                let (items, replies): (Vec<I>, Vec<_>) = jobs.drain(..).unzip();
                let run = run.clone();
                tokio::spawn(async move {
                    let results = run(items).await;
                    for (reply, r) in replies.into_iter().zip(results) {
                        let _ = reply.send(r);
                    }
                    drop(slot);
                });
            }
        });
        Batcher { tx }
    }

    /// Write one item as part of the next batch.
    pub async fn submit(&self, item: I) -> StoreResult<O> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((item, reply))
            .await
            .map_err(|_| DbError::Db(sqlx::Error::PoolClosed))?;
        answer
            .await
            .map_err(|_| DbError::Db(sqlx::Error::PoolClosed))?
    }
}
