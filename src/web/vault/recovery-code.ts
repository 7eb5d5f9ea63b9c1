/** The recovery code screen's logic: the typed-back check and the text file. */

/** The code's last group (after the last dash), as displayed. */
export function lastGroup(code: string): string {
  const groups = code.split('-');
  return groups[groups.length - 1] ?? '';
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

/** Whether `typed` is the last group of `code`. */
export function confirmsLastGroup(code: string, typed: string): boolean {
  const expected = normalizeCodeInput(lastGroup(code));
  return expected.length > 0 && normalizeCodeInput(typed) === expected;
}
