//! Surviving transient cluster faults: classifies driver errors by what they say about the
//! statement (never applied, unknown outcome, permanent) and retries idempotent statements
//! with a bounded, jittered exponential backoff so that a node restart or a brief partition
//! does not surface as an error, while LWTs and counter updates are never replayed blindly.

use super::{exec_err, internal, Prepared, ScyllaDb};
use crate::config::StorageConfig;
use crate::error::StorageResult;
use scylla::client::pager::{NextPageError, NextRowError};
use scylla::deserialize::row::DeserializeRow;
use scylla::errors::{DbError, ExecutionError, PagerExecutionError, RequestAttemptError};
use scylla::response::query_result::QueryResult;
use scylla::serialize::row::SerializeRow;
use std::time::Duration;

/// What a failed request tells about the statement it carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// It never reached a replica (no connection to any node, the coordinator reported too few
    /// live replicas, overload, bootstrapping): nothing was written.
    NotApplied,
    /// It may or may not have been applied: a timeout (client or server side), a connection
    /// broken after the request was sent, a replica write failure, an unknown CAS outcome.
    Unknown,
    /// Anything else (a bad statement, a decoding error): trying again would not help.
    Permanent,
}

impl Fault {
    /// A fault that the cluster coming back (or a later attempt) may cure.
    pub fn is_transient(self) -> bool {
        !matches!(self, Fault::Permanent)
    }
}

/// Classifies a driver error (see [`Fault`]).
pub fn classify(e: &ExecutionError) -> Fault {
    match e {
        ExecutionError::ConnectionPoolError(_) | ExecutionError::EmptyPlan => Fault::NotApplied,
        ExecutionError::RequestTimeout(_) => Fault::Unknown,
        ExecutionError::LastAttemptError(a) => match a {
            RequestAttemptError::UnableToAllocStreamId => Fault::NotApplied,
            RequestAttemptError::BrokenConnectionError(_) => Fault::Unknown,
            RequestAttemptError::DbError(db, _) => match db {
                DbError::Unavailable { .. } | DbError::Overloaded | DbError::IsBootstrapping => {
                    Fault::NotApplied
                }
                DbError::ReadTimeout { .. }
                | DbError::WriteTimeout { .. }
                | DbError::ReadFailure { .. }
                | DbError::WriteFailure { .. }
                | DbError::TruncateError
                // CAS_WRITE_UNKNOWN (protocol v5): the LWT's outcome is unknown.
                | DbError::Other(0x1700) => Fault::Unknown,
                _ => Fault::Permanent,
            },
            _ => Fault::Permanent,
        },
        _ => Fault::Permanent,
    }
}

/// The bounded retry of idempotent statements (`storage.scylla_retry_attempts`,
/// `storage.scylla_retry_base_ms`, `storage.scylla_retry_max_ms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (1 = never retry).
    pub attempts: u32,
    /// The pause before the first retry; it doubles for each further retry...
    pub base_backoff: Duration,
    /// ...up to this bound.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    pub fn from_config(config: &StorageConfig) -> RetryPolicy {
        RetryPolicy {
            attempts: config.scylla_retry_attempts.max(1),
            base_backoff: Duration::from_millis(config.scylla_retry_base_ms),
            max_backoff: Duration::from_millis(
                config.scylla_retry_max_ms.max(config.scylla_retry_base_ms),
            ),
        }
    }

    /// After attempt number `attempt` (1-based) failed with `fault`: how long to pause before
    /// the next attempt, or `None` to give up and report the error. Only idempotent statements
    /// are retried, only on transient faults, and at most `attempts` times in all. The pause is
    /// `base * 2^(attempt-1)`, capped at `max`, then spread by `jitter` (in `[0, 1)`) over
    /// `[cap/2, cap)` so that many clients do not retry in lock-step.
    pub fn delay(
        &self,
        attempt: u32,
        idempotent: bool,
        fault: Fault,
        jitter: f64,
    ) -> Option<Duration> {
        if !idempotent || !fault.is_transient() || attempt >= self.attempts {
            return None;
        }
        let step = self
            .base_backoff
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(self.max_backoff);
        let jitter = jitter.clamp(0.0, 1.0);
        Some(step.mul_f64(0.5 + 0.5 * jitter).min(self.max_backoff))
    }

    /// The longest an idempotent statement can spend in pauses between its attempts.
    pub fn worst_case_backoff(&self) -> Duration {
        (1..self.attempts)
            .map(|a| self.delay(a, true, Fault::Unknown, 1.0).unwrap_or_default())
            .sum()
    }
}

// The statement runners live here, next to the policy they apply.
impl ScyllaDb {
    /// Runs a prepared statement (one page of results). Idempotent statements are retried on
    /// transient faults within the [`RetryPolicy`]; the rest are tried once. The error is
    /// mapped by [`exec_err`]: `Unavailable` means the write may or may not have happened.
    pub(crate) async fn execute(
        &self,
        stmt: &Prepared,
        values: impl SerializeRow,
    ) -> StorageResult<QueryResult> {
        let idempotent = stmt.get_is_idempotent();
        let mut attempt = 1;
        loop {
            match self.session.execute_unpaged(stmt, &values).await {
                Ok(result) => return Ok(result),
                Err(e) => {
                    let fault = classify(&e);
                    let Some(pause) = self.retry.delay(attempt, idempotent, fault, jitter()) else {
                        return Err(exec_err(e));
                    };
                    tracing::debug!(error = %e, attempt, ?pause, "CQL statement retried");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Every row of a paged read (bounded partitions only), decoded as `R`. A read is
    /// idempotent: a transient fault on any page restarts the whole read within the
    /// [`RetryPolicy`].
    pub(crate) async fn read_all<R>(
        &self,
        stmt: &Prepared,
        values: impl SerializeRow,
    ) -> StorageResult<Vec<R>>
    where
        R: for<'f, 'm> DeserializeRow<'f, 'm>,
    {
        use futures_util::TryStreamExt;
        let mut attempt = 1;
        loop {
            let fault = match self.session.execute_iter(stmt.clone(), &values).await {
                Ok(pager) => {
                    match pager
                        .rows_stream::<R>()
                        .map_err(internal)?
                        .try_collect::<Vec<R>>()
                        .await
                    {
                        Ok(rows) => return Ok(rows),
                        Err(NextRowError::NextPageError(NextPageError::RequestFailure(r))) => {
                            r.into_execution_error()
                        }
                        Err(other) => return Err(internal(other)),
                    }
                }
                Err(PagerExecutionError::NextPageError(NextPageError::RequestFailure(r))) => {
                    r.into_execution_error()
                }
                Err(other) => return Err(internal(other)),
            };
            let Some(pause) = self.retry.delay(
                attempt,
                stmt.get_is_idempotent(),
                classify(&fault),
                jitter(),
            ) else {
                return Err(exec_err(fault));
            };
            tracing::debug!(error = %fault, attempt, ?pause, "CQL paged read retried");
            tokio::time::sleep(pause).await;
            attempt += 1;
        }
    }
}

/// A number in `[0, 1)` for spreading retry pauses.
fn jitter() -> f64 {
    rand::random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::StorageError;
    use scylla::errors::{
        BrokenConnectionErrorKind, ConnectionError, ConnectionPoolError, WriteType,
    };
    use scylla::statement::Consistency;

    fn db(e: DbError) -> ExecutionError {
        ExecutionError::LastAttemptError(RequestAttemptError::DbError(e, "test".into()))
    }

    fn broken_connection() -> ExecutionError {
        let kind = BrokenConnectionErrorKind::KeepaliveTimeout([127, 0, 0, 1].into());
        ExecutionError::LastAttemptError(RequestAttemptError::BrokenConnectionError(kind.into()))
    }

    fn pool_down() -> ExecutionError {
        ExecutionError::ConnectionPoolError(ConnectionPoolError::Broken {
            last_connection_error: ConnectionError::ConnectTimeout,
        })
    }

    #[test]
    fn driver_errors_are_classified() {
        let unavailable = DbError::Unavailable {
            consistency: Consistency::LocalQuorum,
            required: 1,
            alive: 0,
        };
        let cas_timeout = DbError::WriteTimeout {
            consistency: Consistency::LocalSerial,
            received: 0,
            required: 1,
            write_type: WriteType::Cas,
        };
        let cases = [
            (pool_down(), Fault::NotApplied),
            (ExecutionError::EmptyPlan, Fault::NotApplied),
            (db(unavailable), Fault::NotApplied),
            (db(DbError::Overloaded), Fault::NotApplied),
            (db(DbError::IsBootstrapping), Fault::NotApplied),
            (
                ExecutionError::RequestTimeout(Duration::from_secs(5)),
                Fault::Unknown,
            ),
            (broken_connection(), Fault::Unknown),
            (db(cas_timeout), Fault::Unknown),
            (db(DbError::Other(0x1700)), Fault::Unknown),
            (db(DbError::SyntaxError), Fault::Permanent),
            (db(DbError::Invalid), Fault::Permanent),
            (db(DbError::Unauthorized), Fault::Permanent),
        ];
        for (e, want) in cases {
            assert_eq!(classify(&e), want, "{e}");
        }
    }

    #[test]
    fn transient_faults_map_to_unavailable_and_the_rest_to_internal() {
        for e in [
            pool_down(),
            ExecutionError::EmptyPlan,
            ExecutionError::RequestTimeout(Duration::from_secs(5)),
            broken_connection(),
            db(DbError::Overloaded),
        ] {
            assert!(
                matches!(exec_err(e.clone()), StorageError::Unavailable(_)),
                "{e}"
            );
        }
        for e in [db(DbError::SyntaxError), db(DbError::Invalid)] {
            assert!(
                matches!(exec_err(e.clone()), StorageError::Internal(_)),
                "{e}"
            );
        }
    }

    const POLICY: RetryPolicy = RetryPolicy {
        attempts: 4,
        base_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(120),
    };

    #[test]
    fn only_idempotent_statements_with_transient_faults_are_retried() {
        for fault in [Fault::NotApplied, Fault::Unknown] {
            assert!(POLICY.delay(1, true, fault, 0.0).is_some());
            // LWTs and counter updates: never, even when nothing was applied.
            assert_eq!(POLICY.delay(1, false, fault, 0.0), None);
        }
        assert_eq!(POLICY.delay(1, true, Fault::Permanent, 0.0), None);
    }

    #[test]
    fn retries_are_bounded() {
        assert!(POLICY.delay(3, true, Fault::Unknown, 0.5).is_some());
        assert_eq!(POLICY.delay(4, true, Fault::Unknown, 0.5), None);
        assert_eq!(POLICY.delay(40, true, Fault::Unknown, 0.5), None);
        let never = RetryPolicy {
            attempts: 1,
            ..POLICY
        };
        assert_eq!(never.delay(1, true, Fault::NotApplied, 0.5), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_with_jitter_in_the_upper_half() {
        let ms = |attempt, jitter| {
            POLICY
                .delay(attempt, true, Fault::Unknown, jitter)
                .unwrap()
                .as_millis()
        };
        // Full step at jitter 1, half of it at jitter 0.
        assert_eq!((ms(1, 1.0), ms(1, 0.0)), (50, 25));
        assert_eq!((ms(2, 1.0), ms(2, 0.0)), (100, 50));
        // 200 ms capped at 120.
        assert_eq!((ms(3, 1.0), ms(3, 0.0)), (120, 60));
        for j in [0.0, 0.3, 0.99] {
            assert!((60..=120).contains(&ms(3, j)));
        }
        // Out-of-range jitter is clamped, and huge attempt numbers do not overflow.
        let long = RetryPolicy {
            attempts: u32::MAX,
            ..POLICY
        };
        assert_eq!(
            long.delay(1, true, Fault::Unknown, 7.0),
            Some(Duration::from_millis(50))
        );
        assert_eq!(
            long.delay(1000, true, Fault::Unknown, 1.0),
            Some(Duration::from_millis(120))
        );
        assert_eq!(
            POLICY.worst_case_backoff(),
            Duration::from_millis(50 + 100 + 120)
        );
    }

    #[test]
    fn policy_comes_from_the_config() {
        let c = crate::config::Config::default();
        let p = RetryPolicy::from_config(&c.storage);
        assert_eq!(p.attempts, c.storage.scylla_retry_attempts);
        assert_eq!(
            p.base_backoff,
            Duration::from_millis(c.storage.scylla_retry_base_ms)
        );
        assert_eq!(
            p.max_backoff,
            Duration::from_millis(c.storage.scylla_retry_max_ms)
        );
    }
}
