/**
 * Preloaded (node --import) into a child process the ingest benchmark measures: at exit it prints
 * the process's peak resident set size, which only the process itself can read exactly.
 */
process.on('exit', () => {
  process.stderr.write(`peak-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
