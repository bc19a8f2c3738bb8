import { execFileSync } from 'node:child_process';

/** Debian's chromium (.ci/run installs it) for playwright-core: no browser is downloaded. Throws saying what to install when none is on PATH. */
export function systemChromium(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error("this test drives headless Chromium, and none is on PATH: install Debian's chromium package (apt-get install chromium), as .ci/run does");
  }
}
