/**
 * Wall-clock arithmetic in an IANA time zone with nothing but `Intl.DateTimeFormat`.
 *
 * A local date is a day number (days since 1970-01-01 in the zone's calendar), a local time
 * is minutes since midnight. `resolveWallTime` turns a local date and time into an instant the
 * way Temporal's `disambiguation: 'compatible'` does: a time that happens twice (the hour
 * repeated when clocks go back) resolves to its first occurrence, a time that never happens
 * (the hour skipped when clocks go forward) is shifted forward by the gap (02:30 → 03:30).
 */

const MINUTE = 60_000;
export const DAY_MS = 86_400_000;

export interface WallTime {
  /** Days since 1970-01-01 in the zone's calendar */
  readonly day: number;
  /** Minutes since local midnight, 0..1439 */
  readonly minutes: number;
  readonly seconds: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** Whether the runtime knows the zone as an IANA name (Europe/Moscow, America/New_York, UTC). */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '' || timeZone !== timeZone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The wall clock reading, as if it were UTC, in milliseconds (seconds precision). */
function wallAsUtc(instant: number, timeZone: string): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value); break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
      case 'era': bc = part.value.startsWith('B'); break;
      default: break;
    }
  }
  const utc = new Date(0);
  utc.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  return utc.getTime();
}

/** The zone's offset from UTC at the instant, in milliseconds (Moscow: +3 h). */
export function offsetAt(instant: number, timeZone: string): number {
  return wallAsUtc(instant, timeZone) - Math.floor(instant / 1000) * 1000;
}

export function wallTime(instant: number, timeZone: string): WallTime {
  const wall = wallAsUtc(instant, timeZone);
  const day = Math.floor(wall / DAY_MS);
  const secondsOfDay = Math.floor((wall - day * DAY_MS) / 1000);
  return { day, minutes: Math.floor(secondsOfDay / 60), seconds: secondsOfDay % 60 };
}

/**
 * The instant at which the zone's clocks show `minutes` past midnight of local `day`
 * (`minutes` may exceed a day: 1500 is 01:00 of the next day). See the module note for
 * repeated and skipped times.
 */
export function resolveWallTime(day: number, minutes: number, timeZone: string): number {
  return resolveWallTimeDetail(day, minutes, timeZone).instant;
}

/**
 * `resolveWallTime`, and how far a skipped time was pushed forward: `skippedMs` is the forward
 * jump's gap (an hour in Berlin, 30 minutes on Lord Howe) when the clocks never show that time
 * that day, 0 when they do. A schedule needs it to keep a window the jump would otherwise empty.
 */
export function resolveWallTimeDetail(day: number, minutes: number, timeZone: string): { instant: number; skippedMs: number } {
  const asUtc = day * DAY_MS + minutes * MINUTE;
  const before = offsetAt(asUtc - DAY_MS, timeZone);
  const after = offsetAt(asUtc + DAY_MS, timeZone);
  const candidates = [...new Set([asUtc - before, asUtc - after])]
    .filter((instant) => offsetAt(instant, timeZone) === asUtc - instant)
    .sort((a, b) => a - b);
  const first = candidates[0];
  if (first !== undefined) return { instant: first, skippedMs: 0 };
  // Skipped by a forward jump: read the time with the offset in force before the jump.
  return { instant: asUtc - before, skippedMs: after - before };
}

/** ISO weekday of a local day number: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** "2024-03-31" → day number; the caller has validated the format. */
export function dayFromIsoDate(date: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

export function isoDateFromDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** "09:30" → 570; the caller has validated the format. */
export function minutesFromHhMm(time: string): number {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}
