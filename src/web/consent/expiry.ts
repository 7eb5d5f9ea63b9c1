/**
 * Expiry on the consent page (issue #11, point 4), without the DOM:
 * - a requirement with `unexpired` is offered only documents whose expiry date
 *   is today or later in the person's calendar (none without an expiry date);
 * - any other expired document may be shared, once the holder ticks a box.
 */
import { expiryDateOf, expiryStatus, type ExpiryStatus, type PassportRequirement } from '../../protocol/index.js';
import type { Readable } from './model.js';

export interface ElementExpiry {
  status: ExpiryStatus;
  date?: string;
}

export function expiryOf(element: Readable, today: string): ElementExpiry {
  const date = expiryDateOf(element.content.data as Record<string, unknown>);
  return date ? { status: expiryStatus(date, today), date } : { status: 'none' };
}

/** Whether the element may answer the requirement as far as expiry goes. */
export function answersExpiry(requirement: PassportRequirement, element: Readable, today: string): boolean {
  if (!requirement.unexpired) return true;
  const { status } = expiryOf(element, today);
  return status === 'soon' || status === 'valid';
}

/** Whether sharing this element needs the holder's explicit "share it anyway". */
export function needsExpiryConfirmation(element: Readable, today: string): boolean {
  return expiryOf(element, today).status === 'expired';
}
