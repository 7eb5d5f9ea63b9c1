/**
 * The example verifier's automatic checks on a released document. Each check is
 * `{ id, label, status: 'pass' | 'fail' | 'unknown', detail }`; the reviewer page
 * shows every one, and Approve is refused while one of them fails.
 *
 * - expiry: the released `date_of_expiry` is today or later (UTC). A document
 *   released without it is "unknown": the reviewer reads the date on the scan.
 * - MRZ (passports and identity cards, ICAO 9303 TD1/TD2/TD3): Wathiqa's elements
 *   have no MRZ field, so the reviewer copies the MRZ from the scan into a box.
 *   The `mrz` package parses it and computes the check digits; we require every
 *   check digit to be right and the MRZ's document number, expiry date and
 *   issuing state to equal the released values. We do not reimplement ICAO
 *   9303: parsing and check digits are the package's.
 */
import { parse as parseMrz } from 'mrz';
import { countryOfMrzCode } from './countries.mjs';

/** The MRZ formats of ICAO 9303 that fit each element type (document code's first letter too). */
const MRZ_FORMATS = {
  passport: { formats: ['TD3'], codes: ['P'] },
  identity_card: { formats: ['TD1', 'TD2'], codes: ['I', 'A', 'C'] },
};

/** Does this element type have an ICAO 9303 MRZ to check? */
export function hasMrz(type) {
  return Object.hasOwn(MRZ_FORMATS, type);
}

/** "a passport", "an identity card". */
function aType(type) {
  const name = type.replace(/_/g, ' ');
  return `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`;
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** 'YYYY-MM-DD' of `now` in UTC. */
function isoDay(now) {
  return now.toISOString().slice(0, 10);
}

/** The document is not expired: `date_of_expiry` (YYYY-MM-DD) is today or later. */
export function expiryCheck(data, now = new Date()) {
  const expiry = data.date_of_expiry;
  const base = { id: 'expiry', label: 'Document not expired' };
  if (typeof expiry !== 'string') {
    return { ...base, status: 'unknown', detail: 'No expiry date was released: read it on the scan.' };
  }
  // ISO dates compare as text; the SDK has checked the format already.
  return expiry >= isoDay(now)
    ? { ...base, status: 'pass', detail: `Valid until ${expiry}.` }
    : { ...base, status: 'fail', detail: `Expired on ${expiry}.` };
}

/** Upper case, one MRZ line per text line, spaces inside a line removed (people type them in groups). */
export function normalizeMrz(text) {
  return String(text)
    .toUpperCase()
    .split(/\r?\n/)
    .map((line) => line.replace(/[ \t]/g, ''))
    .filter((line) => line.length > 0);
}

const MAX_MRZ_INPUT = 200; // three lines of 30, or two of 44, with room for spaces

/**
 * Runs the MRZ checks for a released element. Returns `{ status, items, parsed? }`:
 * `items` is the list of checks shown (check digits, document code, number, expiry,
 * issuing state), `status` 'pass' only if every item passed.
 */
export function mrzCheck(text, element) {
  const fail = (detail) => ({ status: 'fail', items: [{ id: 'mrz-format', label: 'MRZ readable', status: 'fail', detail }] });
  const spec = MRZ_FORMATS[element.type];
  if (!spec) return fail(`${capital(aType(element.type))} has no ICAO 9303 MRZ to check.`);
  if (typeof text !== 'string' || text.length > MAX_MRZ_INPUT) return fail(`The MRZ is at most ${MAX_MRZ_INPUT} characters.`);
  const lines = normalizeMrz(text);
  if (lines.length === 0) return fail('No MRZ was given.');

  let result;
  try {
    result = parseMrz(lines);
  } catch (error) {
    // The package throws for text that is no known MRZ format (line count, length, characters).
    return fail(`Not a readable MRZ: ${String(error.message).replace(/\.$/, '')}.`);
  }
  const items = [];
  const item = (id, label, ok, detail) => items.push({ id, label, status: ok ? 'pass' : 'fail', detail });

  item('mrz-format', 'MRZ readable', spec.formats.includes(result.format), `Format ${result.format}${spec.formats.includes(result.format) ? '' : `; ${aType(element.type)} has ${spec.formats.join(' or ')}`}.`);

  // Only the check digits decide here: the package also marks a state code it does not
  // know (the ICAO specimen's "UTO") invalid, which the issuing-state item reports.
  const digits = result.details.filter((d) => d.field?.endsWith('CheckDigit'));
  const wrong = digits.filter((d) => !d.valid);
  item(
    'mrz-check-digits',
    'ICAO 9303 check digits',
    digits.length > 0 && wrong.length === 0,
    wrong.length === 0 ? `All ${digits.length} check digits are right.` : wrong.map((d) => `${d.label}: ${d.error}`).join('; ') + '.',
  );

  const code = result.fields.documentCode ?? '';
  item('mrz-document-code', 'Document code', spec.codes.includes(code.charAt(0)), `"${code}"${spec.codes.includes(code.charAt(0)) ? ' fits' : ' does not fit'} ${aType(element.type)}.`);

  const data = element.data;
  // The printed number may carry spaces the MRZ leaves out; compare without them.
  const released = typeof data.document_number === 'string' ? data.document_number.toUpperCase().replace(/\s/g, '') : undefined;
  const inMrz = result.documentNumber ?? result.fields.documentNumber ?? undefined;
  item(
    'mrz-document-number',
    'Document number',
    released !== undefined && inMrz === released,
    released === undefined ? 'No document number was released.' : inMrz === released ? `${inMrz} in both.` : `MRZ ${inMrz ?? '(unreadable)'}, released ${data.document_number}.`,
  );

  // YYMMDD against the released YYYY-MM-DD: no century to guess.
  const mrzExpiry = result.fields.expirationDate ?? undefined;
  const releasedExpiry = typeof data.date_of_expiry === 'string' ? data.date_of_expiry.slice(2).replace(/-/g, '') : undefined;
  item(
    'mrz-expiry',
    'Date of expiry',
    releasedExpiry !== undefined && mrzExpiry === releasedExpiry,
    releasedExpiry === undefined ? 'No expiry date was released.' : mrzExpiry === releasedExpiry ? `${data.date_of_expiry} in both.` : `MRZ ${mrzExpiry ?? '(unreadable)'} (YYMMDD), released ${data.date_of_expiry}.`,
  );

  const stateDetail = result.details.find((d) => d.field === 'issuingState');
  const rawState = (stateDetail?.ranges?.[0]?.raw ?? '').replace(/</g, '');
  const country = countryOfMrzCode(rawState);
  item(
    'mrz-issuing-country',
    'Issuing country',
    country !== undefined && country === data.issuing_country,
    country === undefined
      ? `The MRZ's issuing state "${rawState}" has no ISO 3166-1 country code.`
      : country === data.issuing_country
        ? `${rawState} = ${country} in both.`
        : `MRZ ${rawState} (${country}), released ${data.issuing_country ?? '(none)'}.`,
  );

  return {
    status: items.every((i) => i.status === 'pass') ? 'pass' : 'fail',
    items,
    parsed: { format: result.format, names: [result.fields.lastName, result.fields.firstName].filter(Boolean).join(', ') },
  };
}

/** The checks that block Approve: any automatic check that failed. */
export function blockingChecks(checks, mrz) {
  return [...checks, ...(mrz ? mrz.items : [])].filter((c) => c.status === 'fail');
}
