/**
 * The calendar fields retention buckets versions by. Which clock face they
 * are read from is the caller's choice: `localCalendar` (what restic does, so
 * "daily" means the user's day) or `utcCalendar` (the same answer on every
 * machine, which is what tests and replays want).
 */
export interface CalendarFields {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  /** 1–31. */
  readonly day: number;
  /** 0–23. */
  readonly hour: number;
}

/** Reads a time (ms since the epoch) as calendar fields. */
export type Calendar = (at: number) => CalendarFields;

/** The host's time zone, as restic buckets by; daylight-saving days have 23 or 25 hours. */
export const localCalendar: Calendar = (at) => {
  const date = new Date(at);
  return { year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate(), hour: date.getHours() };
};

/** UTC: independent of the machine's time zone. */
export const utcCalendar: Calendar = (at) => {
  const date = new Date(at);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: date.getUTCHours() };
};

/**
 * A named IANA time zone (`Europe/Berlin`), read through Intl: what a
 * recording stores in place of `local`, so a replay on a machine in another
 * zone buckets versions as the recorded host did. Throws a RangeError for a
 * name Intl does not know.
 */
export function zonedCalendar(timeZone: string): Calendar {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric' });
  return (at) => {
    const fields: Record<string, number> = {};
    for (const part of format.formatToParts(at)) if (part.type !== 'literal') fields[part.type] = Number(part.value);
    return { year: fields['year'] as number, month: fields['month'] as number, day: fields['day'] as number, hour: fields['hour'] as number };
  };
}

/** This machine's time zone by name (what `local` means here), or `UTC` when the platform names none. */
export function localTimeZoneName(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The calendar for a `retentionTimeZone` setting: `local`, `utc`, or an IANA name. */
export function calendarFor(timeZone: string): Calendar {
  if (timeZone === 'local') return localCalendar;
  if (timeZone === 'utc') return utcCalendar;
  return zonedCalendar(timeZone);
}

/**
 * The ISO 8601 week of a calendar date: weeks start on Monday and week 1 is
 * the one with the year's first Thursday, so 2027-01-01 (a Friday) is in
 * week 53 of 2026.
 *
 * @example isoWeekOf({ year: 2027, month: 1, day: 1 }) // { year: 2026, week: 53 }
 */
export function isoWeekOf(date: Pick<CalendarFields, 'year' | 'month' | 'day'>): { readonly year: number; readonly week: number } {
  const DAY_MS = 86_400_000;
  const midnight = Date.UTC(date.year, date.month - 1, date.day);
  const mondayBased = (new Date(midnight).getUTCDay() + 6) % 7;
  // The week's Thursday decides which year the week belongs to.
  const thursday = midnight + (3 - mondayBased) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  return { year, week };
}
