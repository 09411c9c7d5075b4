// What `<tool> --version` printed, kept on disk per binary and trusted only while the file is the same one (device, inode, size, mtime, ctime): a command need not start eight programs to learn what it learnt last time.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export { cacheFolder } from './cacheFolder';

interface Entry {
  /** `dev:ino:size:mtimeMs:ctimeMs` of the binary when it answered: any change to it changes ctime. */
  stamp: string;
  stdout: string;
}

const VERSION = 1;

export class ToolVersionCache {
  private readonly entries: Map<string, Entry>;
  private changed = false;

  private constructor(private readonly file: string | undefined, entries: Map<string, Entry>) {
    this.entries = entries;
  }

  /** Reads the cache file; a missing, unreadable or foreign one is an empty cache. `undefined`: keep nothing. */
  static open(file: string | undefined): ToolVersionCache {
    const entries = new Map<string, Entry>();
    try {
      const doc = file ? (JSON.parse(readFileSync(file, 'utf8')) as { version?: number; tools?: Record<string, Entry> }) : undefined;
      if (doc?.version === VERSION && doc.tools && typeof doc.tools === 'object') {
        for (const [key, e] of Object.entries(doc.tools)) {
          if (typeof e?.stamp === 'string' && typeof e.stdout === 'string') entries.set(key, e);
        }
      }
    } catch {
      // Start empty: the cache only saves time.
    }
    return new ToolVersionCache(file, entries);
  }

  /** The stamp of the file `realPath` as it is now, or undefined when it cannot be read. */
  static async stamp(realPath: string): Promise<string | undefined> {
    const st = await fs.stat(realPath, { bigint: true }).catch(() => undefined);
    return st ? `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}` : undefined;
  }

  get(realPath: string, stamp: string): string | undefined {
    const e = this.entries.get(realPath);
    return e?.stamp === stamp ? e.stdout : undefined;
  }

  set(realPath: string, stamp: string, stdout: string): void {
    this.entries.set(realPath, { stamp, stdout });
    this.changed = true;
  }

  /** Writes the cache when it changed, atomically (a temporary name, then rename); failing to write only costs time. */
  async save(): Promise<void> {
    if (!this.file || !this.changed) return;
    const temp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await fs.writeFile(temp, JSON.stringify({ version: VERSION, tools: Object.fromEntries(this.entries) }), { mode: 0o600 });
      await fs.rename(temp, this.file);
      this.changed = false;
    } catch {
      await fs.rm(temp, { force: true }).catch(() => undefined);
    }
  }
}
