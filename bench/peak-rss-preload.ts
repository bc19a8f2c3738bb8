/**
 * Preloaded (node --import) into a child process a benchmark measures: at exit it prints the
 * process's peak resident set size and its CPU time (user + system), which only the process
 * itself can read exactly.
 */
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`peak-rss-kb ${u.maxRSS}\ncpu-ms ${Math.round((u.userCPUTime + u.systemCPUTime) / 1000)}\n`);
});
