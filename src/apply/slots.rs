//! The executor's parallelism bound, with slots handed out by priority instead of first come,
//! first served: when more steps are ready than there are slots (100 repositories beside one VPC),
//! a freed slot goes to the waiting step with the longest chain of work still behind it, so the
//! critical path never queues behind quick steps nothing waits for. Equal priorities keep their
//! arrival order.
//!
//! The same ordering reaches each AWS call: a step runs inside [`with_call_priority`], and the
//! connection's gate on calls in flight ([`crate::aws::Target::calls_in_flight`]) serves the
//! waiting call of the highest [`call_priority`] first, so a critical step's call does not queue
//! behind a hundred quick ones at a busy endpoint.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

/// `capacity` slots, handed to the highest-priority waiter as they free up.
#[derive(Debug)]
pub(crate) struct PrioritySlots {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    free: usize,
    waiting: BinaryHeap<Waiter>,
    arrivals: u64,
}

#[derive(Debug)]
struct Waiter {
    priority: f64,
    arrival: u64,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Waiter {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Waiter {}

impl PartialOrd for Waiter {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Waiter {
    /// Higher priority first; among equals, the earlier arrival.
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .total_cmp(&other.priority)
            .then_with(|| other.arrival.cmp(&self.arrival))
    }
}

/// A held slot; dropping it hands the slot on.
#[derive(Debug)]
pub(crate) struct Slot<'a> {
    slots: &'a PrioritySlots,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.slots.release();
    }
}

/// A held slot of shared slots, for a holder that must own what it holds (a future handed to
/// the AWS SDK); dropping it hands the slot on.
#[derive(Debug)]
pub(crate) struct OwnedSlot {
    slots: Arc<PrioritySlots>,
}

impl Drop for OwnedSlot {
    fn drop(&mut self) {
        self.slots.release();
    }
}

tokio::task_local! {
    static CALL_PRIORITY: f64;
}

/// Runs `future` with its AWS calls at `priority` (a step's: the seconds of the slowest chain it
/// begins).
pub(crate) async fn with_call_priority<F: Future>(priority: f64, future: F) -> F::Output {
    CALL_PRIORITY.scope(priority, future).await
}

/// The priority of a call made now: the running step's, or the highest outside any step (the
/// plan's read, the lock, destroy's sweep: work every step waits for).
pub(crate) fn call_priority() -> f64 {
    CALL_PRIORITY
        .try_with(|priority| *priority)
        .unwrap_or(f64::INFINITY)
}

/// A waiter's side while it waits: if it is dropped after being handed a slot it never took, the
/// slot goes on to the next waiter rather than being lost.
struct Pending<'a> {
    wake: Option<oneshot::Receiver<()>>,
    slots: &'a PrioritySlots,
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(mut wake) = self.wake.take() {
            wake.close();
            if wake.try_recv().is_ok() {
                self.slots.release();
            }
        }
    }
}

impl PrioritySlots {
    pub(crate) fn new(capacity: usize) -> Self {
        PrioritySlots {
            state: Mutex::new(State {
                free: capacity.max(1),
                waiting: BinaryHeap::new(),
                arrivals: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a slot; among waiters, the highest `priority` is served first.
    pub(crate) async fn acquire(&self, priority: f64) -> Slot<'_> {
        self.wait_for_slot(priority).await;
        Slot { slots: self }
    }

    /// [`PrioritySlots::acquire`] for shared slots, answering a slot that owns its share.
    pub(crate) async fn acquire_owned(self: Arc<Self>, priority: f64) -> OwnedSlot {
        self.wait_for_slot(priority).await;
        OwnedSlot { slots: self }
    }

    /// Returns once a slot is this caller's (released by the guard the caller wraps it in).
    async fn wait_for_slot(&self, priority: f64) {
        let wake = {
            let mut state = self.state();
            if state.free > 0 {
                state.free -= 1;
                return;
            }
            let (wake, woken) = oneshot::channel();
            state.arrivals += 1;
            let arrival = state.arrivals;
            state.waiting.push(Waiter {
                priority,
                arrival,
                wake,
            });
            woken
        };
        let mut pending = Pending {
            wake: Some(wake),
            slots: self,
        };
        if let Some(wake) = pending.wake.as_mut() {
            // The sender goes only with a slot handed over (or with the slots themselves).
            let _ = wake.await;
        }
        pending.wake = None;
    }

    /// Hands a freed slot to the best waiter still waiting, or puts it back.
    fn release(&self) {
        let mut state = self.state();
        while let Some(waiter) = state.waiting.pop() {
            if waiter.wake.send(()).is_ok() {
                return;
            }
        }
        state.free += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn freed_slots_go_to_the_highest_priority_first() {
        let slots = PrioritySlots::new(1);
        let order = RefCell::new(Vec::new());
        let held = slots.acquire(0.0).await;
        let step = |priority: f64| {
            let (slots, order) = (&slots, &order);
            async move {
                let _slot = slots.acquire(priority).await;
                order.borrow_mut().push(priority);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        };
        let release = async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            drop(held);
        };
        tokio::join!(step(1.0), step(3.0), step(2.0), step(3.0), release);
        assert_eq!(*order.borrow(), [3.0, 3.0, 2.0, 1.0]);
    }

    #[tokio::test(start_paused = true)]
    async fn owned_slots_are_handed_out_by_priority_too() {
        let slots = Arc::new(PrioritySlots::new(1));
        let order = RefCell::new(Vec::new());
        let held = slots.clone().acquire_owned(0.0).await;
        let call = |priority: f64| {
            let (slots, order) = (slots.clone(), &order);
            async move {
                let _slot = slots.acquire_owned(priority).await;
                order.borrow_mut().push(priority);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        let release = async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            drop(held);
        };
        tokio::join!(call(0.5), call(8.0), call(2.0), release);
        assert_eq!(*order.borrow(), [8.0, 2.0, 0.5]);
    }

    #[tokio::test]
    async fn a_call_has_its_steps_priority_and_the_highest_outside_any_step() {
        assert_eq!(call_priority(), f64::INFINITY);
        let inside = with_call_priority(42.0, async { call_priority() }).await;
        assert_eq!(inside, 42.0);
        let nested = with_call_priority(1.0, async {
            with_call_priority(3.0, async { call_priority() }).await
        })
        .await;
        assert_eq!(nested, 3.0);
    }

    #[tokio::test(start_paused = true)]
    async fn capacity_is_respected_and_a_dropped_waiter_loses_no_slot() {
        let slots = PrioritySlots::new(2);
        let a = slots.acquire(1.0).await;
        let _b = slots.acquire(1.0).await;
        let waiting = tokio::time::timeout(Duration::from_secs(1), slots.acquire(5.0)).await;
        assert!(waiting.is_err(), "both slots are taken");
        drop(a);
        // The timed-out waiter is gone; the freed slot is free for the next one.
        let c = tokio::time::timeout(Duration::from_secs(1), slots.acquire(0.0)).await;
        assert!(c.is_ok());
    }
}
