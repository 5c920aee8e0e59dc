//! PostgreSQL sequences drawn in blocks: one round trip draws a block of values and the calls
//! after it take theirs from memory, so a create that needs a number does not spend a round
//! trip on it.
//!
//! Every value still comes from `nextval`, so no two callers, in this process or in another
//! replica, ever get the same one. What blocks change is what numbers look like: values left in
//! memory when the process stops are never used (PostgreSQL's own sequence cache skips values
//! the same way), and values are handed out in the order they were drawn, which across replicas
//! need not be the order of the calls.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use sqlx::{PgExecutor, Row as _};

/// Values of `N` sequences, one of each per draw, drawn `block` draws at a time.
#[derive(Debug)]
pub struct SequenceBlocks<const N: usize> {
    /// `SELECT nextval('a'), nextval('b'), ... FROM generate_series(1, $1)`.
    select: String,
    block: i32,
    drawn: Mutex<VecDeque<[i64; N]>>,
}

impl<const N: usize> SequenceBlocks<N> {
    /// Draws from `sequences`, named as in SQL on the connections it is given (the service's
    /// schema is their search path), `block` draws per round trip (at least one).
    pub fn new(sequences: [&'static str; N], block: u16) -> Self {
        let columns = sequences
            .iter()
            .map(|sequence| format!("nextval('{sequence}')"))
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            select: format!("SELECT {columns} FROM generate_series(1, $1)"),
            block: i32::from(block.max(1)),
            drawn: Mutex::default(),
        }
    }

    /// The next value of each sequence, drawing a block with `db` (a pool or a connection) when
    /// none is left.
    pub async fn next<'c>(&self, db: impl PgExecutor<'c>) -> Result<[i64; N], sqlx::Error> {
        if let Some(values) = self.lock().pop_front() {
            return Ok(values);
        }
        // Callers that find it empty at once draw a block each: no value is lost, and nobody
        // waits on another's round trip.
        let rows = sqlx::query(sqlx::AssertSqlSafe(self.select.as_str()))
            .bind(self.block)
            .fetch_all(db)
            .await?;
        let mut drawn = rows
            .iter()
            .map(|row| {
                let mut values = [0; N];
                for (column, value) in values.iter_mut().enumerate() {
                    *value = row.try_get(column)?;
                }
                Ok(values)
            })
            .collect::<Result<VecDeque<_>, sqlx::Error>>()?;
        let first = drawn.pop_front().ok_or(sqlx::Error::RowNotFound)?;
        self.lock().extend(drawn);
        Ok(first)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<[i64; N]>> {
        // The queue holds plain values, whole after any panic.
        self.drawn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
