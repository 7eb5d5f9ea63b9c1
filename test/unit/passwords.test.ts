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
    const time = async (fn: () => Promise<unknown>) => {
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        await fn();
        runs.push(performance.now() - start);
      }
      return runs.sort((a, b) => a - b)[2]!;
    };
    const real = await time(() => hasher.verify(hash, 'wrong password'));
    const none = await time(() => hasher.verifyNothing('wrong password'));
    expect(none / real).toBeGreaterThan(0.5);
    expect(none / real).toBeLessThan(2);
  });

  it('asks for a rehash when the parameters change', async () => {
    const weak = new PasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 });
    expect(hasher.needsRehash(await weak.hash('correct horse battery staple'))).toBe(true);
  });
});
