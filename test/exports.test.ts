import { describe, expect, it } from 'vitest';
import * as root from 'rxdaemon';
import * as operators from 'rxdaemon/operators';

describe('package exports', () => {
  it('the root re-exports every operator export, the same binding', () => {
    for (const [name, value] of Object.entries(operators)) {
      expect((root as Record<string, unknown>)[name], name).toBe(value);
    }
  });
});

describe('optional peers stay optional', () => {
  it('only rxdaemon/bullmq (src/distributed) imports bullmq or ioredis', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.startsWith(join('src', 'distributed'))) {
          if (/from '(bullmq|ioredis)'/.test(readFileSync(path, 'utf8'))) offenders.push(path);
        }
      }
    };
    walk('src');
    walk('operators');
    expect(offenders).toEqual([]);
  });
});
