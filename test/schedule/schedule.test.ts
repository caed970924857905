import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DAYS_OF_WEEK, type DayOfWeek } from '#plans/plan';
import { currentSlot, isDue, nextSlot, type ScheduleInput } from '#plans/schedule';
import { resolveWallTime, wallTime, dayFromIsoDate, isValidTimeZone } from '#plans/zoned-time';

const ALL_DAYS = [...DAYS_OF_WEEK];

function schedule(overrides: Partial<ScheduleInput> = {}): ScheduleInput {
  return { enabled: true, timeZone: 'Europe/Moscow', start: '09:00', end: '18:00', everyMinutes: 30, daysOfWeek: ALL_DAYS, ...overrides };
}

const at = (iso: string) => new Date(iso);

/** Local wall time of an instant, "YYYY-MM-DD HH:MM", for readable assertions. */
function local(instant: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(instant));
  return parts.replace(',', '');
}

/** Every slot from `from` (exclusive) to `to` (exclusive), as nextSlot enumerates them. */
function slotsBetween(s: ScheduleInput, from: string, to: string): string[] {
  const out: string[] = [];
  let cursor = at(from);
  for (;;) {
    const next = nextSlot(s, cursor);
    if (!next || next.slot >= to) return out;
    out.push(next.slot);
    cursor = at(next.slot);
  }
}

describe('isDue: a table of cases in Moscow (no DST)', () => {
  const cases: { name: string; s: Partial<ScheduleInput>; now: string; last?: string; expect: ReturnType<typeof isDue> | { due: true; slot: string } }[] = [
    { name: 'due at the window start', s: {}, now: '2025-06-10T06:00:00Z', expect: { due: true, slot: '2025-06-10T06:00:00.000Z' } },
    { name: 'due late within the slot', s: {}, now: '2025-06-10T06:29:59Z', expect: { due: true, slot: '2025-06-10T06:00:00.000Z' } },
    { name: 'not due again within a slot already run', s: {}, now: '2025-06-10T06:29:00Z', last: '2025-06-10T06:00:00.000Z', expect: { due: false, reason: 'slot-taken', slot: '2025-06-10T06:00:00.000Z' } },
    { name: 'due at the next slot', s: {}, now: '2025-06-10T06:30:00Z', last: '2025-06-10T06:00:00.000Z', expect: { due: true, slot: '2025-06-10T06:30:00.000Z' } },
    { name: 'not due before the window', s: {}, now: '2025-06-10T05:59:59Z', expect: { due: false, reason: 'outside-window' } },
    { name: 'not due at the window end (end is exclusive)', s: {}, now: '2025-06-10T15:00:00Z', expect: { due: false, reason: 'outside-window' } },
    { name: 'not due when disabled', s: { enabled: false }, now: '2025-06-10T06:00:00Z', expect: { due: false, reason: 'disabled' } },
    { name: 'one run after ticks were missed for 47 minutes, for the latest slot only', s: { everyMinutes: 15 }, now: '2025-06-10T06:47:00Z', last: '2025-06-10T06:00:00.000Z', expect: { due: true, slot: '2025-06-10T06:45:00.000Z' } },
    { name: 'a frequency longer than the window gives the window start only', s: { start: '09:00', end: '10:00', everyMinutes: 120 }, now: '2025-06-10T06:59:00Z', last: '2025-06-10T06:00:00.000Z', expect: { due: false, reason: 'slot-taken', slot: '2025-06-10T06:00:00.000Z' } },
    { name: 'start = end is a 24-hour window', s: { start: '07:00', end: '07:00', everyMinutes: 60 }, now: '2025-06-10T03:59:00Z', expect: { due: true, slot: '2025-06-10T03:00:00.000Z' } },
    // 2025-06-09 is a Monday.
    { name: 'a window across midnight runs before midnight on its day', s: { start: '22:00', end: '02:00', daysOfWeek: ['mon'] }, now: '2025-06-09T20:10:00Z', expect: { due: true, slot: '2025-06-09T20:00:00.000Z' } },
    { name: 'the part after midnight belongs to the day the window opened', s: { start: '22:00', end: '02:00', daysOfWeek: ['mon'] }, now: '2025-06-09T22:40:00Z', expect: { due: true, slot: '2025-06-09T22:30:00.000Z' } },
    { name: 'after midnight of an excluded day the window is closed', s: { start: '22:00', end: '02:00', daysOfWeek: ['tue'] }, now: '2025-06-09T22:40:00Z', expect: { due: false, reason: 'day-excluded' } },
    { name: 'an excluded day does not run', s: { daysOfWeek: ['sat', 'sun'] }, now: '2025-06-10T06:00:00Z', expect: { due: false, reason: 'day-excluded' } },
    { name: 'nothing before the first date', s: { firstDate: '2025-06-11' }, now: '2025-06-10T06:00:00Z', expect: { due: false, reason: 'before-first-date' } },
    { name: 'the last date is the last day a window opens, even past midnight', s: { start: '22:00', end: '02:00', lastDate: '2025-06-10' }, now: '2025-06-10T22:05:00Z', expect: { due: true, slot: '2025-06-10T22:00:00.000Z' } },
    { name: 'nothing after the last date', s: { start: '22:00', end: '02:00', lastDate: '2025-06-10' }, now: '2025-06-11T19:05:00Z', expect: { due: false, reason: 'after-last-date' } },
    { name: 'a replayed tick finds its slot taken', s: {}, now: '2025-06-10T06:00:00Z', last: '2025-06-10T06:00:00.000Z', expect: { due: false, reason: 'slot-taken', slot: '2025-06-10T06:00:00.000Z' } },
    { name: 'a late tick of an older slot does not run after a newer one', s: {}, now: '2025-06-10T06:10:00Z', last: '2025-06-10T06:30:00.000Z', expect: { due: false, reason: 'slot-taken', slot: '2025-06-10T06:00:00.000Z' } },
  ];

  for (const c of cases) {
    test(c.name, () => {
      const decision = isDue(schedule(c.s), at(c.now), c.last);
      const compared = decision.due ? { due: true, slot: decision.slot } : decision;
      assert.deepEqual(compared, c.expect);
    });
  }
});

describe('schedules across daylight-saving changes', () => {
  test('an hourly night window in Berlin runs every real hour when clocks go forward (five runs, none at 02:00)', () => {
    const s = schedule({ timeZone: 'Europe/Berlin', start: '00:00', end: '06:00', everyMinutes: 60 });
    const slots = slotsBetween(s, '2025-03-29T12:00:00Z', '2025-03-30T12:00:00Z');
    assert.deepEqual(slots.map((x) => local(x, 'Europe/Berlin')), ['2025-03-30 00:00', '2025-03-30 01:00', '2025-03-30 03:00', '2025-03-30 04:00', '2025-03-30 05:00']);
  });

  test('an hourly night window in Berlin runs every real hour when clocks go back (02:00 twice, seven runs)', () => {
    const s = schedule({ timeZone: 'Europe/Berlin', start: '00:00', end: '06:00', everyMinutes: 60 });
    const slots = slotsBetween(s, '2025-10-25T12:00:00Z', '2025-10-26T12:00:00Z');
    assert.equal(slots.length, 7);
    assert.deepEqual(slots.map((x) => local(x, 'Europe/Berlin')), ['2025-10-26 00:00', '2025-10-26 01:00', '2025-10-26 02:00', '2025-10-26 02:00', '2025-10-26 03:00', '2025-10-26 04:00', '2025-10-26 05:00']);
    assert.equal(new Set(slots).size, 7, 'each slot is a distinct instant');
  });

  test('a window opening at a time skipped in New York opens when the clocks have jumped', () => {
    const s = schedule({ timeZone: 'America/New_York', start: '02:30', end: '05:00', everyMinutes: 60 });
    const slots = slotsBetween(s, '2025-03-09T00:00:00Z', '2025-03-09T23:00:00Z');
    assert.deepEqual(slots.map((x) => local(x, 'America/New_York')), ['2025-03-09 03:30', '2025-03-09 04:30']);
  });

  test('a window opening at a time repeated in New York opens at its first occurrence and lasts an hour longer', () => {
    const s = schedule({ timeZone: 'America/New_York', start: '01:30', end: '03:00', everyMinutes: 90 });
    const slots = slotsBetween(s, '2025-11-02T00:00:00Z', '2025-11-02T23:00:00Z');
    // 01:30 EDT, then 90 real minutes later 02:00 EST; the window closes at 03:00 EST (2.5 real hours).
    assert.deepEqual(slots, ['2025-11-02T05:30:00.000Z', '2025-11-02T07:00:00.000Z']);
    assert.deepEqual(slots.map((x) => local(x, 'America/New_York')), ['2025-11-02 01:30', '2025-11-02 02:00']);
  });

  test('a daily run keeps its local time across the change', () => {
    const s = schedule({ timeZone: 'America/New_York', start: '09:00', end: '10:00', everyMinutes: 1440 });
    const slots = slotsBetween(s, '2025-03-07T00:00:00Z', '2025-03-11T00:00:00Z');
    assert.deepEqual(slots, ['2025-03-07T14:00:00.000Z', '2025-03-08T14:00:00.000Z', '2025-03-09T13:00:00.000Z', '2025-03-10T13:00:00.000Z']);
  });

  test('a replayed tick in the repeated hour does not run the slot again', () => {
    const s = schedule({ timeZone: 'Europe/Berlin', start: '00:00', end: '06:00', everyMinutes: 60 });
    const first = isDue(s, at('2025-10-26T00:30:00Z'));
    assert.ok(first.due);
    assert.equal(isDue(s, at('2025-10-26T00:59:00Z'), first.slot).due, false);
  });
});

describe('zoned time helpers', () => {
  test('know IANA zones and refuse others', () => {
    assert.equal(isValidTimeZone('Europe/Moscow'), true);
    assert.equal(isValidTimeZone('UTC'), true);
    assert.equal(isValidTimeZone('Moscow'), false);
    assert.equal(isValidTimeZone(''), false);
  });

  test('resolve a wall time in a zone with a fractional offset', () => {
    const day = dayFromIsoDate('2025-06-10');
    assert.equal(new Date(resolveWallTime(day, 9 * 60, 'Asia/Kathmandu')).toISOString(), '2025-06-10T03:15:00.000Z');
    assert.deepEqual(wallTime(Date.parse('2025-06-10T03:15:30Z'), 'Asia/Kathmandu'), { day, minutes: 540, seconds: 30 });
  });
});

// ---- properties -------------------------------------------------------------------------------

const ZONES = ['Europe/Moscow', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC', 'America/Sao_Paulo'];
/** Around DST changes of 2025 (Berlin, New York, Lord Howe) and a quiet day */
const ANCHORS = ['2025-03-09T06:00:00Z', '2025-03-30T00:00:00Z', '2025-04-05T15:00:00Z', '2025-10-05T15:00:00Z', '2025-10-26T00:00:00Z', '2025-11-02T06:00:00Z', '2025-06-10T00:00:00Z'].map(Date.parse);

const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const days = fc.subarray(ALL_DAYS as DayOfWeek[], { minLength: 1 });
const scheduleArb = fc.record({
  enabled: fc.constant(true),
  timeZone: fc.constantFrom(...ZONES),
  start: hhmm,
  end: hhmm,
  everyMinutes: fc.constantFrom(1, 5, 7, 15, 30, 45, 60, 90, 180, 1440),
  daysOfWeek: days,
}) as fc.Arbitrary<ScheduleInput>;
const startArb = fc.tuple(fc.constantFrom(...ANCHORS), fc.integer({ min: -36 * 60, max: 12 * 60 })).map(([anchor, minutes]) => anchor + minutes * 60_000);

describe('schedule properties', () => {
  test('ticks with gaps and replays never start two runs for a slot, nor runs out of order, nor bursts', () => {
    fc.assert(
      fc.property(scheduleArb, startArb, fc.array(fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 6, max: 240 }), fc.constant(0)), { minLength: 5, maxLength: 60 }), (s, start, gaps) => {
        let t = start;
        let lastSlot: string | undefined;
        const runs: { at: number; slot: string }[] = [];
        for (const gap of gaps) {
          t += gap * 60_000 + (gap === 0 ? 0 : 1_000); // 0 = the same tick replayed
          const decision = isDue(s, new Date(t), lastSlot);
          if (decision.due) {
            runs.push({ at: t, slot: decision.slot });
            lastSlot = decision.slot;
          }
        }
        for (let i = 0; i < runs.length; i += 1) {
          const run = runs[i]!;
          assert.ok(Date.parse(run.slot) <= run.at, 'a slot never runs before its time');
          assert.ok(run.at - Date.parse(run.slot) < s.everyMinutes * 60_000 + 3_600_000, 'a run belongs to a slot in progress');
          if (i > 0) {
            assert.ok(run.slot > runs[i - 1]!.slot, 'slots strictly increase');
            assert.ok(run.at > runs[i - 1]!.at, 'one run per tick at most');
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  test('a tick every minute runs every slot exactly once, at its minute', () => {
    fc.assert(
      fc.property(scheduleArb.filter((s) => s.everyMinutes >= 15), startArb, (s, start) => {
        const from = Math.floor(start / 60_000) * 60_000;
        const to = from + 26 * 3_600_000;
        let lastSlot: string | undefined;
        const ran: string[] = [];
        for (let t = from; t < to; t += 60_000) {
          const decision = isDue(s, new Date(t), lastSlot);
          if (decision.due) {
            if (t > from) assert.equal(decision.slot, new Date(t).toISOString(), 'each slot runs at the first tick of its minute');
            ran.push(decision.slot);
            lastSlot = decision.slot;
          }
        }
        // The first tick also runs the slot already in progress, if any.
        const inProgress = currentSlot(s, new Date(from));
        const expected = [
          ...(inProgress.ok && inProgress.slot < new Date(from).toISOString() ? [inProgress.slot] : []),
          ...slotsBetween(s, new Date(from - 1).toISOString(), new Date(to).toISOString()),
        ];
        assert.deepEqual(ran, expected);
      }),
      { numRuns: 25 },
    );
  });

  test('every slot lies in a window that opened on an allowed day within the dates', () => {
    fc.assert(
      fc.property(scheduleArb, startArb, fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined }), (base, start, shift) => {
        const firstDate = shift === undefined ? undefined : new Date(start + shift * 86_400_000).toISOString().slice(0, 10);
        const s = { ...base, ...(firstDate ? { firstDate } : {}) };
        let cursor = new Date(start);
        for (let i = 0; i < 20; i += 1) {
          const slot = nextSlot(s, cursor);
          if (!slot) return;
          const weekday = ALL_DAYS[(new Date(`${slot.windowDate}T00:00:00Z`).getUTCDay() + 6) % 7]!;
          assert.ok(s.daysOfWeek.includes(weekday), `${slot.windowDate} is a ${weekday}`);
          if (firstDate) assert.ok(slot.windowDate >= firstDate);
          assert.ok(slot.windowStart <= slot.slot && slot.slot < slot.windowEnd, 'inside its window');
          const current = currentSlot(s, new Date(slot.slot));
          assert.ok(current.ok && current.slot === slot.slot, 'currentSlot agrees with nextSlot');
          cursor = new Date(slot.slot);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('on days without a clock change, slots fall on the start time plus whole steps, before the end', () => {
    fc.assert(
      fc.property(scheduleArb.filter((s) => s.start < s.end), (s) => {
        const day = '2025-06-10';
        const slots = slotsBetween({ ...s, daysOfWeek: ALL_DAYS }, `${day}T00:00:00Z`, '2025-06-12T00:00:00Z');
        const startMinutes = Number(s.start.slice(0, 2)) * 60 + Number(s.start.slice(3));
        const endMinutes = Number(s.end.slice(0, 2)) * 60 + Number(s.end.slice(3));
        for (const slot of slots) {
          const wall = wallTime(Date.parse(slot), s.timeZone);
          assert.ok(wall.minutes >= startMinutes && wall.minutes < endMinutes, `${local(slot, s.timeZone)} within ${s.start}–${s.end}`);
          assert.equal((wall.minutes - startMinutes) % s.everyMinutes, 0);
        }
      }),
      { numRuns: 150 },
    );
  });
});
