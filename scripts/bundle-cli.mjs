// Bundles the compiled CLI (dist/src/cli/main.js and everything it imports from this project)
// into one CommonJS file, dist/src/cli/main.bundle.cjs, that bin/drover.js loads.
//
// Why: the CLI is about thirty small ES modules, and Node's ES module loader reads, links and
// compiles them one by one, with asynchronous file reads in between. On a slow or busy machine
// that was half of `drover get`'s time. One CommonJS file is read and compiled in one go, and
// modules that only some commands need still run only when those commands load them.
//
// What stays outside: npm packages (loaded from node_modules when a command needs them) and the
// modules outside src/cli that commands import lazily (the server for `drover up`, the
// validators for `drover lint`), loaded from dist/ as they are.
import { build } from 'esbuild';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'dist', 'src', 'cli');

/**
 * A module outside src/cli that the CLI imports lazily stays outside the bundle and is loaded
 * from dist/ when needed: the server and its configuration (`drover up`) and the manifest
 * validators (`drover lint`), whose schema packages are ES modules only. The paths are rewritten
 * to be relative to the bundle.
 */
const lazyOutsideCli = {
  name: 'lazy-outside-cli',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = join(args.resolveDir, args.path);
      if (target.startsWith(cliDir + sep)) return undefined;
      const rel = relative(cliDir, target).split(sep).join('/');
      return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
    });
  },
};

await build({
  entryPoints: [join(cliDir, 'main.js')],
  outfile: join(cliDir, 'main.bundle.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  plugins: [lazyOutsideCli],
  // The few modules that read import.meta.url get the bundle's own URL, which is in the same
  // folder as the module it replaces.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  sourcemap: true,
  logLevel: 'warning',
});
