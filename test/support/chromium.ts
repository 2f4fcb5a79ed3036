import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Debian's `chromium` (playwright's own browser download is not reachable here): the installed
 * binary, or the package installed now (as root, as CI runs) — never a skip.
 */
export function chromiumPath(): string {
  for (const path of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(path)) return path;
  if (process.getuid?.() !== 0) {
    throw new Error('chromium is not installed and this is not root: apt-get install chromium');
  }
  const apt = (args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: 'ignore',
      timeout: 600_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  apt(['update', '-qq']);
  apt(['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  if (!existsSync('/usr/bin/chromium')) throw new Error('apt-get install chromium left no /usr/bin/chromium');
  return '/usr/bin/chromium';
}
