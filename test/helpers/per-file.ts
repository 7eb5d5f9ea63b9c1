import { afterAll, expect, jest } from '@jest/globals';
import { SLOW_FILE_TIMEOUT_MS } from './timeouts.js';

/**
 * Run before each test file (jest.config.js setupFilesAfterEnv). Files that drive
 * Chromium or spawn the compiled CLI get a wider guard than Jest's default
 * (test/helpers/timeouts.ts): their steps are many and each is slow on a loaded machine.
 */

const SLOW = /[\\/]test[\\/](e2e[\\/]|integration[\\/]cli\.test\.ts$)/;

if (SLOW.test(expect.getState().testPath ?? '')) jest.setTimeout(SLOW_FILE_TIMEOUT_MS);

// The file's Chromium (test/helpers/browser.ts), if it started one; by symbol, so that
// files without a browser do not load Playwright.
afterAll(async () => {
  const chromium = (globalThis as { [key: symbol]: Promise<{ close(): Promise<void> }> | undefined })[Symbol.for('wathiqa.test.chromium')];
  await (await chromium)?.close();
});
