/**
 * CPU microseconds (user + system) of the calling thread so far: `process.threadCpuUsage` (Node
 * 23.9+), so a delta around synchronous work counts only that work, not the DuckDB or libuv
 * threads running beside it. On an older Node, the whole process's (`process.cpuUsage`), which
 * counts those threads too.
 */
export function threadCpuMicros(): number {
  const u = typeof process.threadCpuUsage === 'function' ? process.threadCpuUsage() : process.cpuUsage();
  return u.user + u.system;
}
