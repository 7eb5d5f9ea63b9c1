import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Embedded PGlite admits one process per data directory; this lock says which one. */
export class DataDirLock {
  private constructor(private readonly file: string) {}

  static path(dataDir: string): string {
    return join(dataDir, 'wathiqa.pid');
  }

  /** Takes the lock or throws, naming the process that holds it. A stale lock is taken over. */
  static acquire(dataDir: string): DataDirLock {
    const file = DataDirLock.path(dataDir);
    DataDirLock.ownerOnly(dirname(file));
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return new DataDirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = DataDirLock.holder(dataDir);
        if (holder !== undefined) {
          throw new Error(`the embedded database in ${dataDir} is in use by process ${holder}`);
        }
        rmSync(file, { force: true });
      }
    }
    throw new Error(`cannot lock ${dataDir}`);
  }

  /**
   * The embedded database's files, the dev secrets and the admin socket live here:
   * no one but the owner may list or read them, whatever the umask made of the folder.
   */
  private static ownerOnly(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      chmodSync(dir, 0o700);
    } catch (error) {
      // A folder someone else owns (a mounted volume, say): its owner set its mode.
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    }
  }

  /** The pid of the live process holding the lock, if any. */
  static holder(dataDir: string): number | undefined {
    let pid: number;
    try {
      pid = Number(readFileSync(DataDirLock.path(dataDir), 'utf8'));
    } catch {
      return undefined;
    }
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
    }
  }

  release(): void {
    rmSync(this.file, { force: true });
  }
}

/** The socket through which the CLI reaches a server that holds the embedded database. */
export function adminSocketPath(dataDir: string): string {
  return join(dataDir, 'admin.sock');
}
