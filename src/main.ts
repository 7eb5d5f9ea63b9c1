import { applyMemorySettings, describeSettings } from './ops/memory.js';

// First, before the rest is loaded: on Node ≥ 22.15 this re-executes the process with
// the allocator settings when it started without them (so `npm start` gets what the
// Docker image sets), and does not return.
const notApplied = applyMemorySettings();

/** config → database + migrations → app → listen; SIGTERM/SIGINT drain and close. */
async function main(): Promise<void> {
  const { ConfigError, loadConfig } = await import('./config.js');
  const { createLogger } = await import('./ops/logger.js');
  const { startServer } = await import('./server.js');
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const unset = describeSettings(notApplied);
  if (unset) logger.info({ settings: unset }, 'memory settings not applied (this Node cannot re-execute itself); set them in the environment');
  const running = await startServer(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`wathiqa failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
