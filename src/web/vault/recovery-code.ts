/** The recovery code screen's logic: the typed-back check of a group chosen at random. */

/** The code's groups, as displayed (split at the dashes). */
export function codeGroups(code: string): string[] {
  return code.split('-').filter((group) => group !== '');
}

/** The code's last group (after the last dash), as displayed. */
export function lastGroup(code: string): string {
  const groups = codeGroups(code);
  return groups[groups.length - 1] ?? '';
}

/** A uniform random integer in [0, count), from the browser's CSPRNG (rejection sampling, no modulo bias). */
export function randomIndex(count: number, random: (bytes: Uint32Array<ArrayBuffer>) => unknown = (b) => crypto.getRandomValues(b)): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
  const limit = Math.floor(0x1_0000_0000 / count) * count;
  const word = new Uint32Array(1);
  for (;;) {
    random(word);
    if (word[0]! < limit) return word[0]! % count;
  }
}

/**
 * Which group to ask for: any of them at random, so the person must have the
 * whole code written down, not just the part that happened to be on screen.
 * `except` (the group asked last time) is skipped, so showing the code again and
 * copying what was just asked does not help.
 */
export function pickGroup(code: string, except?: number, random?: (bytes: Uint32Array<ArrayBuffer>) => unknown): number {
  const count = codeGroups(code).length;
  if (except === undefined || count < 2) return randomIndex(count, random);
  const index = randomIndex(count - 1, random);
  return index >= except ? index + 1 : index;
}

/**
 * Normalizes what a person types the way parseRecoveryCode does: NFKC, Arabic-Indic
 * digits, no spaces or dashes, upper case, I/L read as 1 and O as 0.
 */
export function normalizeCodeInput(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[\s\p{Pd}]/gu, '')
    .toUpperCase()
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
}

/** Whether `typed` is group `index` (0-based) of `code`. */
export function confirmsGroup(code: string, index: number, typed: string): boolean {
  const group = codeGroups(code)[index];
  if (group === undefined) return false;
  const expected = normalizeCodeInput(group);
  return expected.length > 0 && normalizeCodeInput(typed) === expected;
}
