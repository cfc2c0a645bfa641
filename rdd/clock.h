/* clock.h — the one source of time for every time-based decision in the engine.
 *
 * Layer: rdd/. Spark reads time through a Clock object (SystemClock in production, ManualClock
 * in its tests); duet does the same so that tests and teaching replays drive time by hand and
 * never sleep. Times are milliseconds since the epoch, as Spark's clocks return them.
 * All functions are thread-safe.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DuetClock DuetClock;

/* The system clock: wall time for now(), real sleeping for wait_until(). */
DuetClock *duet_clock_new_system(void);
/* A manual clock starting at start_ms: time moves only by set/advance. */
DuetClock *duet_clock_new_manual(gint64 start_ms);

DuetClock *duet_clock_ref(DuetClock *clock);
void duet_clock_unref(DuetClock *clock);

gboolean duet_clock_is_manual(const DuetClock *clock);
gint64 duet_clock_now_ms(DuetClock *clock);
/* Blocks until now >= target_ms and returns the time then (Spark's Clock.waitTillTime).
 * Returns early with the current time if the clock is interrupted (see below). */
gint64 duet_clock_wait_until(DuetClock *clock, gint64 target_ms);
/* Wakes every waiter of this clock (used when a stream stops); they return at once, and so do
 * later waits until duet_clock_resume(). */
void duet_clock_interrupt(DuetClock *clock);
void duet_clock_resume(DuetClock *clock);

/* Manual clocks only: set the time (never backwards) or advance it, waking waiters. */
void duet_clock_set_ms(DuetClock *clock, gint64 now_ms);
void duet_clock_advance_ms(DuetClock *clock, gint64 delta_ms);
/* Manual clocks only: the number of threads blocked in wait_until right now, so a test can
 * wait until the engine is waiting on the clock before advancing it (Spark's
 * StreamManualClock.isStreamWaitingAt). Blocks until at least n waiters or timeout_ms passes
 * in real time; returns whether n waiters were reached. */
gboolean duet_clock_wait_for_waiters(DuetClock *clock, guint n, gint64 timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(DuetClock, duet_clock_unref)

G_END_DECLS
