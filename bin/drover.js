#!/usr/bin/env node
// The `drover` command. `npm run build` compiles the TypeScript into dist/ and then bundles the
// CLI into one file (dist/src/cli/main.bundle.cjs), which Node starts much faster than the
// modules it is made of. This file is CommonJS (bin/package.json) for the same reason.
'use strict';
const { statSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const root = join(__dirname, '..');
const cli = join(root, 'dist', 'src', 'cli');
const mtime = (path) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;

const compiled = mtime(join(root, 'dist', '.tsbuildinfo'));
const bundled = mtime(join(cli, 'main.bundle.cjs'));
if (compiled === undefined || mtime(join(cli, 'main.js')) === undefined) {
  process.stderr.write(`error: drover is not built: run "npm run build" in ${root}\n`);
  process.exit(1);
}
// A bundle older than the last compile (tsc run alone) would run old code: use the modules then.
const load = bundled !== undefined && bundled >= compiled ? Promise.resolve(require(join(cli, 'main.bundle.cjs'))) : import(pathToFileURL(join(cli, 'main.js')).href);
load
  .then((mod) => mod.main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
