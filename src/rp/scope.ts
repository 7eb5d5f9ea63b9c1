/**
 * Does a release answer the passport_scope the RP sent (DESIGN 5.3), and no more?
 */
import {
  elementSpec,
  expiredEverywhere,
  expiryDateOf,
  normalizePassportScope,
  parsePassportScope,
  requestedFields,
  type PassportRequirement,
  type PassportScope,
} from '../protocol/index.js';
import { ReleaseIncompleteError, ReleaseNotRequestedError, UnexpiredRequiredError } from './errors.js';
import type { ReleasedElement } from './payload.js';

/** The passport_scope as sent (JSON text) or parsed; normalized with the protocol's parser. */
export function normalizeRequested(requested: string | PassportScope | Record<string, unknown>): PassportScope {
  return typeof requested === 'string' ? parsePassportScope(requested) : normalizePassportScope(requested);
}

/**
 * Checks that every requirement has exactly one element of a type in its
 * `one_of`, and that the release holds nothing else: no other element, no field
 * outside the requirement's fields (native names only with `native_names`), a
 * selfie or translations only if asked for.
 *
 * A requested field that is required by the type must be present. Optional
 * fields, a selfie and translations that were asked for may be absent (the
 * holder may untick optional fields; a document may have no selfie).
 */
export function checkAnswersScope(elements: readonly ReleasedElement[], scope: PassportScope): void {
  const answered = new Map<PassportRequirement, number>();
  elements.forEach((element, index) => {
    const requirement = scope.data.find((r) => r.one_of.includes(element.type));
    if (!requirement) throw new ReleaseNotRequestedError(`elements[${index}]: an element type that was not asked for`);
    if (answered.has(requirement)) {
      throw new ReleaseNotRequestedError(`elements[${index}]: a second element for requirement ${scope.data.indexOf(requirement)}`);
    }
    answered.set(requirement, index);

    const allowed = new Set(requestedFields(requirement, element.type));
    for (const name of Object.keys(element.data)) {
      if (!allowed.has(name)) throw new ReleaseNotRequestedError(`elements[${index}].data.${name}: a field that was not asked for`);
    }
    for (const field of elementSpec(element.type).fields) {
      if (field.required && allowed.has(field.name) && !Object.prototype.hasOwnProperty.call(element.data, field.name)) {
        throw new ReleaseIncompleteError(`elements[${index}].data.${field.name}: a required field that was asked for is missing`);
      }
    }
    const files = element.files as Record<string, unknown>;
    if (files.selfie !== undefined && !requirement.selfie) {
      throw new ReleaseNotRequestedError(`elements[${index}].files.selfie: a selfie that was not asked for`);
    }
    if (files.translation !== undefined && !requirement.translation) {
      throw new ReleaseNotRequestedError(`elements[${index}].files.translation: a translation that was not asked for`);
    }
  });
  scope.data.forEach((requirement, index) => {
    if (!answered.has(requirement)) throw new ReleaseIncompleteError(`requirement ${index} (${requirement.one_of.join(' | ')}) is not answered`);
  });
}

/**
 * Under `"unexpired": true` (issue #11) the element must show an expiry date that
 * has not passed: compared with the UTC date of `now` less one day (the holder's
 * page compares with the person's local date, which is at most a day off), so an
 * honest page's release is never refused near midnight. Run after checkAnswersScope.
 */
export function checkUnexpired(elements: readonly ReleasedElement[], scope: PassportScope, now: Date): void {
  for (const element of elements) {
    const index = scope.data.findIndex((r) => r.one_of.includes(element.type));
    if (index < 0 || !scope.data[index]!.unexpired) continue;
    const date = expiryDateOf(element.data as Record<string, unknown>);
    if (date === undefined) throw new UnexpiredRequiredError(index, 'no_expiry_date');
    if (expiredEverywhere(date, now)) throw new UnexpiredRequiredError(index, 'expired');
  }
}
