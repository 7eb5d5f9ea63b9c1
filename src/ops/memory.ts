/**
 * Memory settings that only act when the process starts: glibc reads its malloc
 * settings from the environment once, V8 sizes its heap from command-line flags.
 * Measured in bench/results/memory-2026-11-30.md (bench/memory.mjs).
 */
export const MEMORY_ENV: Readonly<Record<string, string>> = {
  // Two arenas, not eight per core: the libuv threads' buffers share one.
  MALLOC_ARENA_MAX: '2',
  // A fixed threshold: blocks of 1 MiB and more (Argon2id's 19 MiB per hash) are mapped
  // on their own and given back when freed. Left dynamic, glibc raises the threshold
  // after the first such free and keeps later hash buffers resident (about 40 MB).
  MALLOC_MMAP_THRESHOLD_: '1048576',
  // Those mappings on transparent huge pages where the kernel allows it (madvise): a
  // fresh 19 MiB buffer then costs about 10 page faults, not 4,864 (+12 ms of system
  // CPU per hash otherwise, +1.5 ms with it). glibc 2.35 and later; ignored before.
  GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
};

/**
 * V8 flags (name=value); each one is left alone when the operator gave that flag.
 * Half Node 20's default young generation (16 MiB semi-spaces): about 17 MB less resident
 * once started, no CPU cost we could measure per request.
 */
export const MEMORY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

export interface MissingSettings {
  env: Record<string, string>;
  flags: string[];
}

/** What this process started without; an operator's own value for a setting wins. */
export function missingSettings(env: NodeJS.ProcessEnv, execArgv: readonly string[]): MissingSettings {
  const name = (flag: string) => (flag.split('=')[0] ?? '').replace(/_/g, '-');
  const given = [...execArgv, ...(env.NODE_OPTIONS ?? '').split(/\s+/)].map(name);
  return {
    env: Object.fromEntries(Object.entries(MEMORY_ENV).filter(([name]) => env[name] === undefined)),
    flags: MEMORY_NODE_FLAGS.filter((flag) => !given.includes(name(flag))),
  };
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Replaces this process by itself with the missing settings (process.execve, Node
 * 22.15 and later: same pid, so signals, supervisors and container health checks see
 * no difference). Returns the settings it could not apply: none, or all of them on an
 * older Node (the caller says so; the server runs anyway).
 */
export function applyMemorySettings(): MissingSettings {
  const missing = missingSettings(process.env, process.execArgv);
  if (!Object.keys(missing.env).length && !missing.flags.length) return missing;
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve !== 'function') return missing;
  const args = [process.execPath, ...process.execArgv, ...missing.flags, ...process.argv.slice(1)];
  return execve.call(process, process.execPath, args, { ...process.env, ...missing.env });
}

/** The settings as shell words, for the log line that asks an operator to set them. */
export function describeSettings(missing: MissingSettings): string {
  const env = Object.entries(missing.env).map(([k, v]) => `${k}=${v}`);
  const flags = missing.flags.length ? [`NODE_OPTIONS="${missing.flags.join(' ')}"`] : [];
  return [...env, ...flags].join(' ');
}
