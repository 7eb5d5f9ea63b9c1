/**
 * Identifiers as they enter associated data. They must have exactly one text form,
 * or the same element could be bound under two different strings.
 */
import { ProtocolInputError } from './errors.js';

/** A UUID in canonical lower-case text form (any version). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

export function assertUuid(value: unknown, what: string): asserts value is string {
  if (!isUuid(value)) throw new ProtocolInputError(`${what} must be a lower-case UUID`);
}

/** Element versions are positive safe integers, written in decimal without leading zeros in AD. */
export function assertVersion(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ProtocolInputError('version must be a positive integer');
  }
}
