// Runs test files the way tools/run-tests wants them, on node 18 (Debian
// 12's) as on node 20 and later: one file at a time, each file stopped and
// failed after FILE_TIMEOUT_MS (what `node --test --test-timeout` does on
// node >= 20.11; node 18 has no such flag, but node:test's run() takes the
// same timeout everywhere), the spec report on stdout and, with --tap FILE,
// a TAP report in FILE. Exit status 1 when anything failed.
//
//   node tests/e2e/run.js [--tap FILE] TEST_FILE...
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { createWriteStream } from 'node:fs';

const FILE_TIMEOUT_MS = 300000;

const args = process.argv.slice(2);
let tapFile = null;
if (args[0] === '--tap') {
  tapFile = args[1];
  args.splice(0, 2);
}
if (args.length === 0 || args.some((a) => a.startsWith('-'))) {
  console.error('usage: node tests/e2e/run.js [--tap FILE] TEST_FILE...');
  process.exit(2);
}

const stream = run({ files: args, concurrency: 1, timeout: FILE_TIMEOUT_MS });
stream.on('test:fail', () => { process.exitCode = 1; });
stream.compose(new spec()).pipe(process.stdout);
if (tapFile) stream.compose(tap).pipe(createWriteStream(tapFile));
