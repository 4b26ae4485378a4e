// Debian's Chromium driven by playwright-core, headless, with a fresh profile and nothing that
// reaches the network on its own (no background networking, component updates, sync or QUIC).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The Chromium the browser tests drive: NHSFLOWS_TEST_CHROMIUM, else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH = process.env.NHSFLOWS_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests skip, or false when a Chromium is present. */
export const skipBrowser: string | false = existsSync(CHROMIUM_PATH)
  ? false
  : `no Chromium at ${CHROMIUM_PATH}: browser tests skipped (apt-get install chromium, or set NHSFLOWS_TEST_CHROMIUM)`;

if (skipBrowser) process.stderr.write(`${skipBrowser}\n`);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh --user-data-dir, removed again by `close`. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'nhsflows-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
