/**
 * Expiry of identity documents (issue #11, point 4): `date_of_expiry` (an
 * optional field of passport, internal_passport, identity_card, driver_license)
 * against a calendar date. Dates are ISO `YYYY-MM-DD`, so they compare as text.
 *
 * A document is valid through its expiry date: it is expired from the next day.
 * It expires soon when its expiry date is at most EXPIRY_SOON_DAYS days away.
 *
 * Whose "today": the holder's page uses the person's local calendar date (what
 * their own calendar says, which is what the document's date means to them);
 * the RP SDK uses the UTC date with one day of tolerance (expiredEverywhere), so
 * it never refuses a document that a page anywhere on Earth could still call
 * valid: local dates are at most one day behind or ahead of the UTC date.
 */
import { isCalendarDate } from './elements/fields.js';

export const EXPIRY_SOON_DAYS = 90;
export const EXPIRY_FIELD = 'date_of_expiry';

/** none: no (valid) expiry date; expired: before today; soon: today to today + 90 days; valid: later. */
export type ExpiryStatus = 'none' | 'expired' | 'soon' | 'valid';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The person's calendar date, in the time zone of the device (the page's "today"). */
export function localDate(now: Date = new Date()): string {
  return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** The UTC calendar date (the RP SDK's "today"). */
export function utcDate(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** `date` plus `days` calendar days (negative: earlier). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The document's expiry date, if it has a well-formed one. */
export function expiryDateOf(data: Readonly<Record<string, unknown>>): string | undefined {
  const value = data[EXPIRY_FIELD];
  return typeof value === 'string' && isCalendarDate(value) ? value : undefined;
}

export function expiryStatus(dateOfExpiry: string | undefined, today: string): ExpiryStatus {
  if (dateOfExpiry === undefined || !isCalendarDate(dateOfExpiry)) return 'none';
  if (dateOfExpiry < today) return 'expired';
  if (dateOfExpiry <= addDays(today, EXPIRY_SOON_DAYS)) return 'soon';
  return 'valid';
}

/** The RP SDK's test: expired even where the local date is a day behind UTC. */
export function expiredEverywhere(dateOfExpiry: string, now: Date): boolean {
  return dateOfExpiry < addDays(utcDate(now), -1);
}
