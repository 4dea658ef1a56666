#!/usr/bin/env node
// The `drover` command. The CLI is TypeScript compiled by `npm run build` (or `npm ci`, via prepare).
let mod;
try {
  mod = await import('../dist/src/cli/main.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('error: drover is not built: run "npm run build" in ' + new URL('..', import.meta.url).pathname + '\n');
    process.exit(1);
  }
  throw err;
}
process.exitCode = await mod.main(process.argv.slice(2));
