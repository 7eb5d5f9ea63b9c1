/**
 * Guards against a hung test, never speed checks (speed is measured in bench/). They
 * must hold on a loaded 2-core machine, where CI runs two files at a time next to
 * PostgreSQL, and where a step can take ten times as long as on an idle one. Each sits
 * inside the one around it, so a stuck step reports itself rather than Jest's timeout.
 * Jest's default for a test or hook is `testTimeout` in jest.config.js (120 s).
 */

/** Per test or hook in files that drive Chromium or spawn the compiled CLI (test/helpers/per-file.ts). */
export const SLOW_FILE_TIMEOUT_MS = 300_000;

/** Playwright's wait for a locator, navigation or request (its own default is 30 s); Argon2id at 64 MiB runs in the page. */
export const PAGE_TIMEOUT_MS = 60_000;

/** A spawned server or example program, until it says it listens. */
export const PROCESS_START_TIMEOUT_MS = 90_000;
