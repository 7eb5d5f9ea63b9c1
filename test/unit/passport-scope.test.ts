import { describe, expect, it } from '@jest/globals';
import { normalizePassportScope, requiresVerification, parsePassportScope, PassportScopeError, requestedFields } from '../../src/protocol/passport-scope.js';

const DESIGN_EXAMPLE = {
  v: 1,
  data: [
    { type: 'personal_details', native_names: true, fields: ['given_name', 'family_name', 'birthdate'] },
    { one_of: ['passport', 'identity_card', 'driver_license'], selfie: true, translation: true },
    'address',
    'email',
  ],
};

describe('passport_scope', () => {
  it('normalizes the design example', () => {
    expect(parsePassportScope(JSON.stringify(DESIGN_EXAMPLE))).toEqual({
      v: 1,
      data: [
        { one_of: ['personal_details'], fields: ['given_name', 'family_name', 'birthdate'], selfie: false, translation: false, native_names: true },
        { one_of: ['passport', 'identity_card', 'driver_license'], selfie: true, translation: true, native_names: false },
        { one_of: ['address'], selfie: false, translation: false, native_names: false },
        { one_of: ['email'], selfie: false, translation: false, native_names: false },
      ],
    });
  });

  it('expands the aliases', () => {
    const scope = parsePassportScope('{"v":1,"data":["id_document",{"type":"address_document","translation":true}]}');
    expect(scope.data[0]!.one_of).toEqual(['passport', 'identity_card', 'driver_license']);
    expect(scope.data[1]!.one_of).toEqual(['utility_bill', 'bank_statement', 'rental_agreement']);
  });

  it.each([
    ['', /must be a JSON object/],
    ['{nope', /not valid JSON/],
    ['[]', /passport_scope/],
    ['{"v":2,"data":["email"]}', /v: must be 1/],
    ['{"v":1,"data":[]}', /data/],
    ['{"v":1,"data":["visa"]}', /data\[0\]: unknown element type "visa"/],
    ['{"v":1,"data":["email","email"]}', /data\[1\]: "email" is asked for more than once/],
    ['{"v":1,"data":["passport","id_document"]}', /"passport" is asked for more than once/],
    ['{"v":1,"data":[{"type":"passport","fields":["given_name"]}]}', /data\[0\]\.fields: "passport" has no field "given_name"/],
    ['{"v":1,"data":[{"type":"address","selfie":true}]}', /data\[0\]\.selfie: "address" has no selfie/],
    ['{"v":1,"data":[{"type":"email","native_names":true}]}', /native_names/],
    ['{"v":1,"data":[{"type":"email","colour":"red"}]}', /data\[0\].*colour/],
    ['{"v":1,"data":[{"one_of":["passport","email"],"selfie":true}]}', /"email" has no selfie/],
    ['{"v":1,"data":["email"],"x":1}', /passport_scope|x/],
    [`{"v":1,"data":["${'a'.repeat(5000)}"]}`, /longer than/],
  ])('refuses %#, with a description naming the problem', (text, message) => {
    expect(() => parsePassportScope(text)).toThrow(PassportScopeError);
    expect(() => parsePassportScope(text)).toThrow(message);
  });

  it('asks for verification: by any verifier, or by named verifiers (DESIGN 5.6)', () => {
    const scope = parsePassportScope(
      JSON.stringify({ v: 1, data: [{ type: 'passport', verified: true }, { type: 'address', verified: false }, { one_of: ['identity_card', 'driver_license'], verifiers: ['v-one', 'v-two'] }, 'email'] }),
    );
    expect(scope.data[0]).toEqual({ one_of: ['passport'], selfie: false, translation: false, native_names: false, verified: true });
    // verified: false asks for nothing: the normal form is that of an entry without it.
    expect(scope.data[1]).toEqual({ one_of: ['address'], selfie: false, translation: false, native_names: false });
    expect(scope.data[2]).toEqual({ one_of: ['identity_card', 'driver_license'], selfie: false, translation: false, native_names: false, verifiers: ['v-one', 'v-two'] });
    expect(scope.data.map(requiresVerification)).toEqual([true, false, true, false]);
    expect('verified' in scope.data[3]!).toBe(false);
    // The normal form parses to itself (the page and the RP SDK normalize again).
    expect(normalizePassportScope(scope)).toEqual(scope);
  });

  it.each([
    ['both members', { type: 'passport', verified: true, verifiers: ['v-one'] }, /data\[0\]: "verified" and "verifiers" cannot both be given/],
    ['both, verified false', { type: 'passport', verified: false, verifiers: ['v-one'] }, /cannot both be given/],
    ['an empty list', { type: 'passport', verifiers: [] }, /data\[0\]\.verifiers: .*>=1/],
    ['a verifier named twice', { type: 'passport', verifiers: ['v-one', 'v-one'] }, /data\[0\]\.verifiers: a verifier is named twice/],
    ['a non-string id', { type: 'passport', verifiers: ['v-one', 3] }, /data\[0\]\.verifiers\[1\]: .*string/],
    ['an id with a space', { one_of: ['passport'], verifiers: ['v one'] }, /data\[0\]\.verifiers\[0\]: must be a client id/],
    ['an empty id', { type: 'passport', verifiers: [''] }, /data\[0\]\.verifiers\[0\]/],
    ['a long id', { type: 'passport', verifiers: ['v'.repeat(256)] }, /data\[0\]\.verifiers\[0\]: .*<=255/],
    ['too many verifiers', { type: 'passport', verifiers: Array.from({ length: 17 }, (_, i) => `v-${i}`) }, /data\[0\]\.verifiers: .*<=16/],
    ['verified not a boolean', { type: 'passport', verified: 'yes' }, /data\[0\]\.verified: .*boolean/],
    ['verifiers not a list', { one_of: ['passport'], verifiers: 'v-one' }, /data\[0\]\.verifiers: .*array/],
  ])('refuses %s, naming the problem', (_what, entry, message) => {
    const text = JSON.stringify({ v: 1, data: [entry] });
    expect(() => parsePassportScope(text)).toThrow(PassportScopeError);
    expect(() => parsePassportScope(text)).toThrow(message);
  });

  it('lists the fields that may leave', () => {
    const [personal] = parsePassportScope(JSON.stringify(DESIGN_EXAMPLE)).data;
    // native_names adds the native form of each requested name.
    expect(requestedFields(personal!, 'personal_details')).toEqual(['given_name', 'family_name', 'given_name_native', 'family_name_native', 'birthdate']);
    const all = parsePassportScope('{"v":1,"data":["personal_details"]}').data[0]!;
    expect(requestedFields(all, 'personal_details')).not.toContain('given_name_native');
    expect(requestedFields(all, 'personal_details')).toContain('nationality');
  });
});
