import { describe, expect, it } from '@jest/globals';
import { newClientId } from '../../src/clients/repository.js';

describe('client ids', () => {
  it('are 128-bit base64url values that never start with "-" (a command line would read an option)', () => {
    // One random base64url id in 64 starts with '-': 4000 draws would show one.
    const ids = Array.from({ length: 4000 }, () => newClientId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
