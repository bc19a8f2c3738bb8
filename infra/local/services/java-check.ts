import { spawn } from 'node:child_process';
import { javaCommand, javaMissing } from '../java.ts';

/** Throws the ConfigError of javaMissing when `java -version` cannot be run (before anything is started). */
export async function requireJava(what: string, hint: string): Promise<string> {
  const java = javaCommand();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(java, ['-version'], { stdio: 'ignore' });
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? javaMissing(java, what, hint) : err));
    child.once('exit', () => resolve());
  });
  return java;
}
