/* clock.c — the system clock and the manual clock.
 *
 * Layer: rdd/. Includes rdd/ only. Both kinds share one struct: a manual clock keeps its own
 * time and wakes waiters when advanced; the system clock reads wall time and sleeps on a
 * condition variable with a deadline, so interrupt() can wake it too. Waiters are counted so
 * tests can wait until the engine blocks on the clock before moving time.
 */
#include "rdd/clock.h"

struct _DuetClock {
    gint ref_count;       /* atomic */
    gboolean manual;      /* manual or system */
    GMutex lock;          /* guards the fields below */
    GCond changed;        /* time moved, interrupted, or a waiter arrived */
    gint64 now_ms;        /* manual time */
    guint n_waiters;      /* threads inside wait_until */
    gboolean interrupted; /* wait_until returns at once */
};

static DuetClock *
clock_new(gboolean manual, gint64 start_ms)
{
    DuetClock *clock = g_new0(DuetClock, 1);
    clock->ref_count = 1;
    clock->manual = manual;
    clock->now_ms = start_ms;
    g_mutex_init(&clock->lock);
    g_cond_init(&clock->changed);
    return clock;
}

DuetClock *
duet_clock_new_system(void)
{
    return clock_new(FALSE, 0);
}

DuetClock *
duet_clock_new_manual(gint64 start_ms)
{
    return clock_new(TRUE, start_ms);
}

DuetClock *
duet_clock_ref(DuetClock *clock)
{
    g_return_val_if_fail(clock != NULL, NULL);
    g_atomic_int_inc(&clock->ref_count);
    return clock;
}

void
duet_clock_unref(DuetClock *clock)
{
    if (clock == NULL || !g_atomic_int_dec_and_test(&clock->ref_count))
        return;
    g_mutex_clear(&clock->lock);
    g_cond_clear(&clock->changed);
    g_free(clock);
}

gboolean
duet_clock_is_manual(const DuetClock *clock)
{
    return clock->manual;
}

static gint64
now_locked(DuetClock *clock)
{
    return clock->manual ? clock->now_ms : g_get_real_time() / 1000;
}

gint64
duet_clock_now_ms(DuetClock *clock)
{
    g_mutex_lock(&clock->lock);
    gint64 now = now_locked(clock);
    g_mutex_unlock(&clock->lock);
    return now;
}

gint64
duet_clock_wait_until(DuetClock *clock, gint64 target_ms)
{
    g_mutex_lock(&clock->lock);
    clock->n_waiters++;
    g_cond_broadcast(&clock->changed);
    gint64 now = now_locked(clock);
    while (now < target_ms && !clock->interrupted) {
        if (clock->manual) {
            g_cond_wait(&clock->changed, &clock->lock);
        } else {
            gint64 deadline = g_get_monotonic_time() + (target_ms - now) * 1000;
            g_cond_wait_until(&clock->changed, &clock->lock, deadline);
        }
        now = now_locked(clock);
    }
    clock->n_waiters--;
    g_mutex_unlock(&clock->lock);
    return now;
}

void
duet_clock_interrupt(DuetClock *clock)
{
    g_mutex_lock(&clock->lock);
    clock->interrupted = TRUE;
    g_cond_broadcast(&clock->changed);
    g_mutex_unlock(&clock->lock);
}

void
duet_clock_resume(DuetClock *clock)
{
    g_mutex_lock(&clock->lock);
    clock->interrupted = FALSE;
    g_mutex_unlock(&clock->lock);
}

void
duet_clock_set_ms(DuetClock *clock, gint64 now_ms)
{
    g_return_if_fail(clock->manual);
    g_mutex_lock(&clock->lock);
    if (now_ms > clock->now_ms)
        clock->now_ms = now_ms;
    g_cond_broadcast(&clock->changed);
    g_mutex_unlock(&clock->lock);
}

void
duet_clock_advance_ms(DuetClock *clock, gint64 delta_ms)
{
    g_return_if_fail(clock->manual && delta_ms >= 0);
    g_mutex_lock(&clock->lock);
    clock->now_ms += delta_ms;
    g_cond_broadcast(&clock->changed);
    g_mutex_unlock(&clock->lock);
}

gboolean
duet_clock_wait_for_waiters(DuetClock *clock, guint n, gint64 timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + timeout_ms * 1000;
    g_mutex_lock(&clock->lock);
    while (clock->n_waiters < n) {
        if (!g_cond_wait_until(&clock->changed, &clock->lock, deadline))
            break;
    }
    gboolean reached = clock->n_waiters >= n;
    g_mutex_unlock(&clock->lock);
    return reached;
}
