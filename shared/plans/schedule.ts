/**
 * When a plan is due: a pure function of the schedule, the current instant and the last slot
 * that started a run. Evaluated in the plan's time zone with `Intl` only.
 *
 * The model (docs/plans.md, "Schedule"):
 * * A **window** opens every eligible local day D at `start` and closes at `end` (exclusive).
 *   When `end` ≤ `start` the window crosses midnight and closes at `end` on D+1; `start` = `end`
 *   is a 24-hour window. The part after midnight belongs to D: days of week and first/last date
 *   are checked against the day the window opened.
 * * **Slots** are the instants `windowStart + k × everyMinutes` inside the window, counted in
 *   elapsed time. On a night when clocks change, the window is one hour shorter or longer and
 *   slots keep their real spacing (an hourly plan runs every real hour, never twice within
 *   one, and never waits two).
 * * Two exceptions keep a daily run at its local time across a change. A window lengthened by
 *   the change drops its last slot when that slot exists only because of the extra time (it
 *   lies at or past the window's standard length) and falls less than `everyMinutes` before
 *   the next day's window opens: a daily 03:00/03:00 plan does not run at 02:00 too, an hourly
 *   one keeps its extra run (its last slot is a full hour before the next window).
 *   A window whose start the forward jump pushes to or past its end (02:00–03:00 on the spring
 *   night: both read as 03:00) has its end moved by the gap, so it keeps its first slot.
 * * Wall times that do not exist (skipped by a forward jump) are read as the same time after
 *   the jump (02:30 → 03:30); times that happen twice take their first occurrence.
 * * A plan is **due** when the slot in progress now is later than the last slot that started a
 *   run. Only the current slot is ever due: ticks missed for an hour produce one run, not a
 *   burst, and a replayed tick finds its slot already taken.
 * A slot is identified by its instant as an ISO string ("2025-03-30T01:00:00.000Z"): unique,
 * sortable, and independent of the plan's time zone (so editing the zone cannot resurrect or
 * block slots by string comparison of wall times).
 */
import type { DayOfWeek, Schedule } from './plan.ts';
import { DAYS_OF_WEEK } from './plan.ts';
import { dayFromIsoDate, isoDateFromDay, isoWeekday, minutesFromHhMm, resolveWallTime, resolveWallTimeDetail, wallTime } from './zoned-time.ts';

const MINUTE = 60_000;
/** How far ahead `nextSlot` looks before answering "never". */
const NEXT_SLOT_HORIZON_DAYS = 800;

export type ScheduleInput = Pick<Schedule, 'timeZone' | 'start' | 'end' | 'everyMinutes' | 'daysOfWeek'> &
  Partial<Pick<Schedule, 'enabled' | 'firstDate' | 'lastDate'>>;

export interface Slot {
  /** The slot's instant, ISO 8601 UTC: the slot's identity */
  readonly slot: string;
  /** The local date (YYYY-MM-DD) the slot's window opened on */
  readonly windowDate: string;
  readonly windowStart: string;
  readonly windowEnd: string;
}

export type NotDueReason = 'disabled' | 'outside-window' | 'day-excluded' | 'before-first-date' | 'after-last-date' | 'slot-taken';

export type DueDecision = ({ due: true } & Slot) | { due: false; reason: NotDueReason; slot?: string };

interface Window {
  readonly day: number;
  readonly start: number;
  readonly end: number;
  /** The instant of the window's last slot (≥ start, < end) */
  readonly last: number;
}

function windowOn(schedule: ScheduleInput, day: number): Window {
  const startMinutes = minutesFromHhMm(schedule.start);
  const endMinutes = minutesFromHhMm(schedule.end);
  const crosses = endMinutes <= startMinutes;
  const opening = resolveWallTimeDetail(day, startMinutes, schedule.timeZone);
  const start = opening.instant;
  let end = resolveWallTime(day + (crosses ? 1 : 0), endMinutes, schedule.timeZone);
  // Spring night, 02:00–03:00 in Berlin: both ends read as 03:00. The supplier asked for a run
  // in that window, so it keeps its length after the jump rather than vanish for the night.
  if (end <= start) end += opening.skippedMs;
  const step = schedule.everyMinutes * MINUTE;
  let last = start + (Math.ceil((end - start) / step) - 1) * step;
  // Autumn night: the window is longer than its wall-clock length by the hour repeated. A last
  // slot that only that hour makes room for, and that falls less than a step before the next
  // window opens, would be a second daily run (03:00/03:00 at 02:00 the next night, 06:00/06:00
  // every 720 at 05:00). Dropped. A slot the standard-length window has too is kept, so a step
  // that does not divide the day keeps its last slot before midnight (420 minutes: 20:00 that
  // day), and an hourly plan keeps its extra run (a full step before the next window).
  const standard = ((crosses ? 1440 : 0) + endMinutes - startMinutes) * MINUTE;
  if (end - start > standard && last > start && last - start >= standard) {
    const nextOpening = resolveWallTime(day + 1, startMinutes, schedule.timeZone);
    if (nextOpening - last < step) last -= step;
  }
  return { day, start, end, last };
}

function crossesMidnight(schedule: ScheduleInput): boolean {
  return minutesFromHhMm(schedule.end) <= minutesFromHhMm(schedule.start);
}

const WEEKDAY_NAMES: readonly DayOfWeek[] = DAYS_OF_WEEK;

/** Why a window opening on `day` would not run, or null when it runs. */
function dayIneligibility(schedule: ScheduleInput, day: number): Exclude<NotDueReason, 'disabled' | 'outside-window' | 'slot-taken'> | null {
  if (schedule.firstDate !== undefined && day < dayFromIsoDate(schedule.firstDate)) return 'before-first-date';
  if (schedule.lastDate !== undefined && day > dayFromIsoDate(schedule.lastDate)) return 'after-last-date';
  const weekday = WEEKDAY_NAMES[isoWeekday(day) - 1] as DayOfWeek;
  if (!schedule.daysOfWeek.includes(weekday)) return 'day-excluded';
  return null;
}

function toSlot(window: Window, instant: number): Slot {
  return {
    slot: new Date(instant).toISOString(),
    windowDate: isoDateFromDay(window.day),
    windowStart: new Date(window.start).toISOString(),
    windowEnd: new Date(window.end).toISOString(),
  };
}

/**
 * The slot in progress at `now`, ignoring `enabled`: the latest slot instant ≤ now in the
 * window that contains now, or the reason there is none.
 */
export function currentSlot(schedule: ScheduleInput, now: Date): ({ ok: true } & Slot) | { ok: false; reason: Exclude<NotDueReason, 'disabled' | 'slot-taken'> } {
  const instant = now.getTime();
  const today = wallTime(instant, schedule.timeZone).day;
  const candidates = crossesMidnight(schedule) ? [today - 1, today] : [today];
  for (const day of candidates) {
    const window = windowOn(schedule, day);
    if (instant < window.start || instant >= window.end) continue;
    const ineligible = dayIneligibility(schedule, day);
    if (ineligible) return { ok: false, reason: ineligible };
    const step = schedule.everyMinutes * MINUTE;
    const slotInstant = Math.min(window.start + Math.floor((instant - window.start) / step) * step, window.last);
    return { ok: true, ...toSlot(window, slotInstant) };
  }
  return { ok: false, reason: 'outside-window' };
}

/**
 * Whether a run should start now. `lastSlot` is the slot that started the previous scheduled
 * run (absent before the first). Due only when the current slot is later than it: the caller
 * records the returned `slot` with a conditional write so a concurrent or replayed tick cannot
 * take it again.
 */
export function isDue(schedule: ScheduleInput, now: Date, lastSlot?: string | null): DueDecision {
  if (schedule.enabled === false) return { due: false, reason: 'disabled' };
  const current = currentSlot(schedule, now);
  if (!current.ok) return { due: false, reason: current.reason };
  const { ok: _ok, ...slot } = current;
  if (lastSlot != null && slot.slot <= lastSlot) return { due: false, reason: 'slot-taken', slot: slot.slot };
  return { due: true, ...slot };
}

/**
 * The first slot strictly after `after`, or null when the schedule has none within ~2 years
 * (disabled schedules are answered as if enabled: this is about the calendar).
 */
export function nextSlot(schedule: ScheduleInput, after: Date): Slot | null {
  const instant = after.getTime();
  const today = wallTime(instant, schedule.timeZone).day;
  const step = schedule.everyMinutes * MINUTE;
  for (let day = today - 1; day <= today + NEXT_SLOT_HORIZON_DAYS; day += 1) {
    if (schedule.lastDate !== undefined && day > dayFromIsoDate(schedule.lastDate)) return null;
    if (dayIneligibility(schedule, day)) continue;
    const window = windowOn(schedule, day);
    if (window.end <= instant) continue;
    const k = instant < window.start ? 0 : Math.floor((instant - window.start) / step) + 1;
    const slotInstant = window.start + k * step;
    if (slotInstant <= window.last) return toSlot(window, slotInstant);
  }
  return null;
}
