import v8 from 'node:v8';
import { join } from 'node:path';

// The server side of the bench's IPC: `{ id, cmd, ...args }` in, `{ id, ok, result | error }` out.
export function serveCommands(handlers) {
  if (!process.send) return;
  process.on('message', async (msg) => {
    const handler = handlers[msg?.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg?.cmd}`);
      const result = await handler(msg);
      process.send({ id: msg.id, ok: true, result });
    } catch (error) {
      process.send({ id: msg.id, ok: false, error: error?.stack ?? String(error) });
    }
  });
  // Without a parent (it died), do not linger.
  process.on('disconnect', () => process.exit(0));
}

/** Common commands: memory as Node sees it, the V8 heap, a heap snapshot, and exit. */
export function baseCommands(close) {
  return {
    memory: () => process.memoryUsage(),
    heap: () => ({ ...v8.getHeapStatistics(), ...process.memoryUsage() }),
    // Blocks the server while it writes (seconds): the soak takes one at two moments only.
    snapshot: ({ dir }) => v8.writeHeapSnapshot(join(dir, `heap-${Date.now()}.heapsnapshot`)),
    close: async () => {
      await close();
      setImmediate(() => process.exit(0));
      return true;
    },
  };
}
