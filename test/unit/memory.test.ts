import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { describeSettings, MEMORY_ENV, MEMORY_NODE_FLAGS, missingSettings } from '../../src/ops/memory.js';
import { ensureBuilt } from '../helpers/build.js';

describe('memory settings at start-up', () => {
  it('asks for the allocator settings the environment lacks, and leaves an operator’s own values alone', () => {
    expect(missingSettings({}, []).env).toEqual(MEMORY_ENV);
    const { MALLOC_ARENA_MAX, ...others } = MEMORY_ENV;
    expect(MALLOC_ARENA_MAX).toBe('2');
    expect(missingSettings({ MALLOC_ARENA_MAX: '4' }, []).env).toEqual(others);
    expect(missingSettings({ ...MEMORY_ENV }, []).env).toEqual({});
    expect(missingSettings({}, []).flags).toEqual(MEMORY_NODE_FLAGS);
    expect(missingSettings({}, ['--max-semi-space-size=32']).flags).toEqual([]);
    expect(missingSettings({ NODE_OPTIONS: '--max_semi_space_size=2' }, []).flags).toEqual([]);
    expect(describeSettings({ env: { MALLOC_ARENA_MAX: '2' }, flags: ['--max-semi-space-size=8'] })).toBe('MALLOC_ARENA_MAX=2 NODE_OPTIONS="--max-semi-space-size=8"');
  });

  it('starts the server with them where Node can re-execute itself, and says which are missing where it cannot', () => {
    const entry = join(ROOT, 'dist/src/ops/memory.js');
    ensureBuilt(entry);
    // The entry point's first step alone: what the process runs with once it has been applied.
    const probe = `
      const { applyMemorySettings } = await import(${JSON.stringify(entry)});
      const missing = applyMemorySettings();
      const semiSpace = process.execArgv.includes(${JSON.stringify(MEMORY_NODE_FLAGS[0])});
      console.log(JSON.stringify({ threshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, semiSpace, missing }));`;
    const env = { PATH: process.env.PATH };
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8' });
    expect(run.status).toBe(0);
    const seen = JSON.parse(run.stdout.trim()) as { threshold: string | null; semiSpace: boolean; missing: { env: Record<string, string>; flags: string[] } };
    if (typeof (process as unknown as { execve?: unknown }).execve === 'function') {
      expect(seen).toEqual({ threshold: MEMORY_ENV.MALLOC_MMAP_THRESHOLD_, semiSpace: true, missing: { env: {}, flags: [] } });
    } else {
      expect(seen.threshold).toBeNull();
      expect(seen.missing).toEqual({ env: MEMORY_ENV, flags: MEMORY_NODE_FLAGS });
    }
  });
});
