/**
 * Daily and twice-daily schedules on the nights clocks change (Berlin, New York): what a
 * supplier who set "once a night" sees. Pure: `nextSlot` only.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DAYS_OF_WEEK } from '#plans/plan';
import { nextSlot, type ScheduleInput } from '#plans/schedule';

function schedule(overrides: Partial<ScheduleInput>): ScheduleInput {
  return { enabled: true, timeZone: 'Europe/Berlin', start: '00:00', end: '00:00', everyMinutes: 1440, daysOfWeek: [...DAYS_OF_WEEK], ...overrides };
}

/** Local "YYYY-MM-DD HH:MM" of every slot from `from` (exclusive) to `to` (exclusive). */
function localSlots(s: ScheduleInput, from: string, to: string): string[] {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone: s.timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  const out: string[] = [];
  let cursor = new Date(from);
  for (;;) {
    const next = nextSlot(s, cursor);
    if (!next || next.slot >= to) return out;
    out.push(format.format(new Date(next.slot)).replace(',', ''));
    cursor = new Date(next.slot);
  }
}

describe('daily schedules across daylight-saving changes', () => {
  test('a daily run in a 24-hour window runs once on the autumn night, at its local time', () => {
    // Prepare: "every day at 03:00", the window left open all day so a missed tick is caught up.
    const s = schedule({ start: '03:00', end: '03:00' });

    // Act
    const slots = localSlots(s, '2025-10-25T12:00:00Z', '2025-10-27T12:00:00Z');

    // Assess: Berlin goes back 03:00 → 02:00 on 2025-10-26; the window that opened on the 25th is 25 h long.
    assert.deepEqual(slots, ['2025-10-26 03:00', '2025-10-27 03:00']);
  });

  test('a daily run at midnight does not run again at 23:00 on the autumn day', () => {
    const s = schedule({ start: '00:00', end: '00:00' });

    const slots = localSlots(s, '2025-10-25T12:00:00Z', '2025-10-27T12:00:00Z');

    assert.deepEqual(slots, ['2025-10-26 00:00', '2025-10-27 00:00']);
  });

  test('a twice-daily run (06:00, 18:00) in New York gets no third run at 05:00 when clocks go back', () => {
    const s = schedule({ timeZone: 'America/New_York', start: '06:00', end: '06:00', everyMinutes: 720 });

    const slots = localSlots(s, '2025-11-01T12:00:00Z', '2025-11-03T12:00:00Z');

    assert.deepEqual(slots, ['2025-11-01 18:00', '2025-11-02 06:00', '2025-11-02 18:00', '2025-11-03 06:00']);
  });

  test('a nightly window 02:00–03:00 still runs on the spring night, when 02:00 is read as 03:00', () => {
    // Prepare: Berlin jumps 02:00 → 03:00 on 2025-03-30. A narrower window, 02:00–02:30, runs
    // that night (at 03:00 and 03:15); the wider one must not run less.
    const narrow = schedule({ start: '02:00', end: '02:30', everyMinutes: 1440 });
    const wide = schedule({ start: '02:00', end: '03:00', everyMinutes: 1440 });

    const narrowSlots = localSlots(narrow, '2025-03-29T12:00:00Z', '2025-03-30T12:00:00Z');
    const wideSlots = localSlots(wide, '2025-03-29T12:00:00Z', '2025-03-30T12:00:00Z');

    assert.deepEqual(narrowSlots, ['2025-03-30 03:00']);
    assert.deepEqual(wideSlots, ['2025-03-30 03:00'], 'the night of the change has its run');
  });

  test('a nightly window 02:00–03:00 in New York runs on the spring night, when clocks jump at 02:00', () => {
    // Prepare: New York jumps 02:00 → 03:00 on 2025-03-09.
    const s = schedule({ timeZone: 'America/New_York', start: '02:00', end: '03:00', everyMinutes: 1440 });

    // Act
    const slots = localSlots(s, '2025-03-08T12:00:00Z', '2025-03-10T12:00:00Z');

    // Assess: one run a night, the night of the change included.
    assert.deepEqual(slots, ['2025-03-09 03:00', '2025-03-10 02:00']);
  });
});

describe('plans that keep every slot across the autumn change', () => {
  test('a run every 7 hours keeps its last run of the autumn day, before midnight', () => {
    // Prepare: 420 minutes does not divide the day, so every day's last slot (21:00) lies less
    // than a step before the next window; on the 25-hour day it is 20:00. It is no extra run:
    // the day has it at its standard length too.
    const s = schedule({ start: '00:00', end: '00:00', everyMinutes: 420 });

    // Act
    const slots = localSlots(s, '2025-10-25T12:30:00Z', '2025-10-26T22:30:00Z');

    // Assess
    assert.deepEqual(slots, ['2025-10-25 21:00', '2025-10-26 00:00', '2025-10-26 06:00', '2025-10-26 13:00', '2025-10-26 20:00']);
  });

  test('an hourly plan open all day runs every real hour of the 25-hour autumn day, 23:00 included', () => {
    const s = schedule({ start: '00:00', end: '00:00', everyMinutes: 60 });

    const slots = localSlots(s, '2025-10-25T21:59:00Z', '2025-10-26T23:00:00.000Z');

    assert.equal(slots.length, 25);
    assert.equal(slots.at(-1), '2025-10-26 23:00', 'the last hour of the day runs, an hour before the next window');
  });
});
