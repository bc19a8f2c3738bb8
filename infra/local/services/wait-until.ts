/**
 * Polls `answers` every 200 ms until it is true ('ready'), the process exits (its reason), or
 * `timeoutMs` passes ('no answer within N s').
 */
export async function waitUntilAnswering(answers: () => Promise<boolean>, exited: Promise<string>, timeoutMs: number): Promise<string> {
  let exit: string | undefined;
  void exited.then((why) => (exit = why));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers()) return 'ready';
    if (exit !== undefined) return exit;
    await new Promise((r) => setTimeout(r, 200));
  }
  return `no answer within ${timeoutMs / 1000} s`;
}
