// Bundles the dashboard (web/src, Preact + dagre + uPlot) into dist/web/: index.html, app.js,
// app.css (and their .gz). The server serves these files at `/` and `/ui/` (src/server/dashboard.ts); nothing is
// fetched from the internet at run time. The app's types are checked by web/tsconfig.json
// (`tsc -p web`), part of `npm run build`.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
await mkdir(out, { recursive: true });
await build({
  entryPoints: { app: join(root, 'web', 'src', 'main.tsx') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
await copyFile(join(root, 'web', 'index.html'), join(out, 'index.html'));
// Compressed once here, so the server sends the gzip file to browsers that take it and never
// compresses per request.
for (const file of ['app.js', 'app.css']) {
  await writeFile(join(out, `${file}.gz`), gzipSync(await readFile(join(out, file)), { level: 9 }));
}
