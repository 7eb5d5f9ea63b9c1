import { describe, expect, it } from '@jest/globals';
import { checkPassword, PasswordHasher } from '../../src/accounts/passwords.js';

describe('password policy', () => {
  it('asks for 8 to 256 characters and nothing else', () => {
    expect(checkPassword('short')).toBe('too_short');
    expect(checkPassword('x'.repeat(257))).toBe('too_long');
    expect(checkPassword('only lowercase letters')).toBeUndefined();
    expect(checkPassword('كلمة سر طويلة جدا')).toBeUndefined();
  });

  it('counts characters, not bytes', () => {
    expect(checkPassword('ضصثقفغعه')).toBeUndefined(); // 8 Arabic letters, 16 bytes
    expect(checkPassword('ضصثقفغع')).toBe('too_short');
  });

  it('refuses the most common passwords whatever their case', () => {
    expect(checkPassword('password')).toBe('too_common');
    expect(checkPassword('PassWord1')).toBe('too_common');
    expect(checkPassword('12345678')).toBe('too_common');
    expect(checkPassword('qwertyuiop')).toBe('too_common');
  });

  it('judges the NFKC form, the one that is hashed', () => {
    // Fullwidth "password123" is hashed as password123, so it is just as common.
    expect(checkPassword('ｐａｓｓｗｏｒｄ１２３')).toBe('too_common');
    expect(checkPassword('ＰＡＳＳＷＯＲＤ')).toBe('too_common');
    // Lengths count the normalized form: a ligature is three letters, e + combining accent one.
    expect(checkPassword('\ufb03abcde')).toBeUndefined(); // ffiabcde
    expect(checkPassword('e\u0301'.repeat(7))).toBe('too_short'); // 14 code points, 7 letters
    expect(checkPassword('\ufb03'.repeat(100))).toBe('too_long'); // 100 typed, 300 hashed
  });
});

describe('password hashing', () => {
  const hasher = new PasswordHasher({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

  it('hashes with Argon2id and the configured parameters', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(await hasher.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(hash, 'correct horse battery stapler')).toBe(false);
  });

  it('normalizes to NFKC, so the same password typed on another keyboard matches', async () => {
    const hash = await hasher.hash('café au lait'); // precomposed é
    expect(await hasher.verify(hash, 'cafe\u0301 au lait')).toBe(true); // e + combining accent
  });

  it('costs about the same for an unknown account as for a real one', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    await hasher.verifyNothing('warm up');
    // Pairs run back to back, so a loaded machine slows both sides of each ratio alike.
    const ratios: number[] = [];
    for (let i = 0; i < 7; i++) {
      let start = performance.now();
      await hasher.verify(hash, 'wrong password');
      const real = performance.now() - start;
      start = performance.now();
      await hasher.verifyNothing('wrong password');
      ratios.push((performance.now() - start) / real);
    }
    const median = ratios.sort((a, b) => a - b)[3]!;
    expect(median).toBeGreaterThan(0.5);
    expect(median).toBeLessThan(2);
  });

  it('asks for a rehash when the parameters change', async () => {
    const weak = new PasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });
    expect(hasher.needsRehash(await weak.hash('correct horse battery staple'))).toBe(true);
  });
});
