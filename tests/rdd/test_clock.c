/* test_clock.c — tests of rdd/clock.c: the manual clock wakes its waiters only when time
 * reaches their target, interrupt wakes them early, and the system clock tells real time.
 * No test sleeps: threads block on the clock and the test waits for them to be waiting. */
#include "tests/common/test.h"
#include "rdd/clock.h"

typedef struct {
    DuetClock *clock;
    gint64 target;
    gint64 woke_at;
} Waiter;

static gpointer
wait_on_clock(gpointer data)
{
    Waiter *waiter = data;
    waiter->woke_at = duet_clock_wait_until(waiter->clock, waiter->target);
    return NULL;
}

static void
test_manual_clock_wakes_at_target(void)
{
    g_autoptr(DuetClock) clock = duet_clock_new_manual(1000);
    CU_ASSERT_TRUE(duet_clock_is_manual(clock));
    ASSERT_INT_EQ(duet_clock_now_ms(clock), 1000);
    Waiter waiter = {clock, 3000, -1};
    GThread *thread = g_thread_new("waiter", wait_on_clock, &waiter);
    CU_ASSERT_TRUE(duet_clock_wait_for_waiters(clock, 1, 10000));
    duet_clock_advance_ms(clock, 1000); /* 2000: not yet */
    CU_ASSERT_TRUE(duet_clock_wait_for_waiters(clock, 1, 10000));
    ASSERT_INT_EQ(waiter.woke_at, -1);
    duet_clock_advance_ms(clock, 1500); /* 3500: past the target */
    g_thread_join(thread);
    ASSERT_INT_EQ(waiter.woke_at, 3500);
    /* a target already passed returns at once */
    ASSERT_INT_EQ(duet_clock_wait_until(clock, 100), 3500);
    /* set never moves backwards */
    duet_clock_set_ms(clock, 10);
    ASSERT_INT_EQ(duet_clock_now_ms(clock), 3500);
    duet_clock_set_ms(clock, 5000);
    ASSERT_INT_EQ(duet_clock_now_ms(clock), 5000);
}

static void
test_interrupt_wakes_waiters(void)
{
    g_autoptr(DuetClock) clock = duet_clock_new_manual(0);
    Waiter first = {clock, 100000, -1}, second = {clock, 200000, -1};
    GThread *one = g_thread_new("one", wait_on_clock, &first);
    GThread *two = g_thread_new("two", wait_on_clock, &second);
    CU_ASSERT_TRUE(duet_clock_wait_for_waiters(clock, 2, 10000));
    duet_clock_interrupt(clock);
    g_thread_join(one);
    g_thread_join(two);
    ASSERT_INT_EQ(first.woke_at, 0);
    ASSERT_INT_EQ(second.woke_at, 0);
    /* interrupted clocks return at once until resumed */
    ASSERT_INT_EQ(duet_clock_wait_until(clock, 50), 0);
    duet_clock_resume(clock);
    CU_ASSERT_FALSE(duet_clock_wait_for_waiters(clock, 1, 1));
}

static void
test_system_clock(void)
{
    g_autoptr(DuetClock) clock = duet_clock_new_system();
    CU_ASSERT_FALSE(duet_clock_is_manual(clock));
    gint64 now = duet_clock_now_ms(clock);
    gint64 wall = g_get_real_time() / 1000;
    CU_ASSERT_TRUE(now <= wall && wall - now < 1000);
    /* a past target returns immediately with the current time */
    CU_ASSERT_TRUE(duet_clock_wait_until(clock, now - 1000) >= now);
}

DUET_TEST_MAIN("clock", DUET_TEST(test_manual_clock_wakes_at_target),
               DUET_TEST(test_interrupt_wakes_waiters), DUET_TEST(test_system_clock))
