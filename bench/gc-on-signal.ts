/**
 * Preloaded (`node --expose-gc --import gc-on-signal.mjs …`) into a server
 * whose memory a bench reads from outside: SIGUSR2 runs a full collection and
 * then says so on stderr, so the bench reads VmRSS after garbage is gone
 * rather than after a guessed pause. Nothing else in the server changes.
 */
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('gc-on-signal needs node --expose-gc');
process.on('SIGUSR2', () => {
  // Twice: the first pass can leave objects that only become garbage once finalizers have run.
  collect();
  collect();
  process.stderr.write('[bench] gc done\n');
});
