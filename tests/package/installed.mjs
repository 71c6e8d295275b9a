// The package as a user gets it: `npm pack` (whose prepack builds the wasm), the tarball checked against
// what its entry points import, installed into a fresh project outside the repository, and used from
// there in every runtime — nothing below imports the package from the checkout.
//
//  1. pack; `npm publish --dry-run` packs again and must give the same bytes (the build is
//     reproducible in one checkout; the wasm embeds absolute source paths, so not across paths);
//  2. completeness: every file any `exports` / `main` / `types` target reaches through its relative imports
//     (`import`, `export … from`, `import()`, `new URL(…, import.meta.url)`) is in the tarball, and nothing
//     else is but package.json, README, CHANGELOG and LICENSE; the README's size figure is the tarball's;
//  3. install the tarball into a temp project; TypeScript (the root's 7 and TypeDoc's 6) resolves its types
//     with moduleResolution node16 and bundler;
//  4. each runtime resolves `ydb-wasm` to its own entry inside that project's node_modules, then runs the
//     quick start (examples/node/quickstart.mjs, verbatim) and the shared scenario (tests/runtimes/*, copied,
//     their package import pointed at `ydb-wasm`): Node, Deno (--node-modules-dir=manual, no npm: fetch),
//     Bun; workerd runs examples/worker bundled by esbuild with the `workerd` condition and by wrangler
//     (`deploy --dry-run`), driven by tests/runtimes/workerd.mjs; Chromium loads examples/browser bundled by Vite, driven by
//     tests/runtimes/chromium.mjs.
//
// Needs YDB_ENDPOINT (tests/package/run.sh starts a dev server when it is unset). Tools: the root's
// node_modules (deno, workerd, tsc) and target/js-tools (bun, esbuild, wrangler, vite, TypeScript 6; see
// scripts/js-tools.sh). KEEP_PACKAGE_TEST=1 keeps the temp project for a look.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const repo = realpathSync(new URL('../../', import.meta.url).pathname);
const endpoint = process.env.YDB_ENDPOINT;
if (!endpoint) throw new Error('YDB_ENDPOINT is not set (tests/package/run.sh starts a dev server)');
const tools = execFileSync('bash', [join(repo, 'scripts/js-tools.sh')], { encoding: 'utf8' }).trim();
const rootBin = (name) => join(repo, 'node_modules/.bin', name);
const toolBin = (name) => join(tools, 'node_modules/.bin', name);

const timings = [];
let stepStarted = performance.now();
function step(name, what = '') {
  const now = performance.now();
  if (timings.length) timings[timings.length - 1].ms = Math.round(now - stepStarted);
  stepStarted = now;
  timings.push({ name });
  console.log(`--- ${name}${what && `: ${what}`}`);
}
function fail(message) {
  throw new Error(`installed-package check: ${message}`);
}
/** Runs a command, its output shown; returns stdout when `capture`. */
function run(cmd, args, { cwd, env, capture = false } = {}) {
  const out = execFileSync(cmd, args, {
    cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
  });
  return capture ? out : undefined;
}
function copy(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}
/** Copies a file of the repository, its one import of the checkout's entry pointed at the package name. */
function copyImportingPackage(from, to, checkoutEntry) {
  const text = readFileSync(join(repo, from), 'utf8');
  const quoted = `'${checkoutEntry}'`;
  if (text.split(quoted).length !== 2) fail(`${from} no longer imports ${quoted} exactly once; update this test`);
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, text.replace(quoted, "'ydb-wasm'"));
}

const work = mkdtempSync(join(tmpdir(), 'ydb-wasm-installed-'));
if (relative(repo, work).split('/')[0] !== '..') fail(`the temp project ${work} is inside the repository`);
try {
  // ---------------------------------------------------------------------------------------------- 1
  step('pack', 'npm pack (prepack builds the release wasm)');
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: repo, capture: true }))[0];
  const tarball = join(work, packed.filename);
  console.log(`${packed.filename}: ${packed.size} bytes, ${packed.entryCount} files, unpacked ${packed.unpackedSize} bytes`);

  step('publish', 'npm publish --dry-run packs again: the same bytes');
  const published = JSON.parse(run('npm', ['publish', '--dry-run', '--json'], { cwd: repo, capture: true }))[packed.name];
  if (published.integrity !== packed.integrity) {
    fail(`two packs differ: ${packed.integrity} vs ${published.integrity} (the build or the file list is not reproducible)`);
  }

  // ---------------------------------------------------------------------------------------------- 2
  step('install', `the tarball into a fresh project outside the repository`);
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: work });
  const installed = join(work, 'node_modules/ydb-wasm');
  if (lstatSync(installed).isSymbolicLink() || realpathSync(installed) !== installed) fail('ydb-wasm is a link, not an install');

  step('files', 'the tarball holds what the entry points import, and only that');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  const shipped = new Set(packed.files.map((f) => f.path));
  const listed = listFiles(installed);
  if (listed.join() !== [...shipped].sort().join()) fail(`installed files ${listed} differ from the tarball's ${[...shipped]}`);
  const needed = reachable(installed, entryTargets(manifest));
  const missing = [...needed].filter((f) => !shipped.has(f));
  if (missing.length) fail(`the tarball lacks ${missing.join(', ')} (imported by the entry points): fix "files" in package.json`);
  const extra = [...shipped].filter((f) => !needed.has(f) && !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE)$/.test(f));
  if (extra.length) fail(`the tarball ships ${extra.join(', ')}, which no entry point imports: fix "files" in package.json`);
  for (const doc of ['README.md', 'CHANGELOG.md']) if (!shipped.has(doc)) fail(`the tarball lacks ${doc}`);
  console.log(`${needed.size} files reached from ${entryTargets(manifest).length} entry targets, all shipped`);
  const readmeKb = readFileSync(join(repo, 'README.md'), 'utf8').match(/npm tarball is \*\*(\d+) KB\*\*/);
  if (!readmeKb) fail('README.md no longer states the tarball size as "npm tarball is **N KB**"');
  const actualKb = Math.round(packed.size / 1024);
  if (Math.abs(actualKb - Number(readmeKb[1])) > Number(readmeKb[1]) * 0.05) {
    fail(`README.md says the tarball is ${readmeKb[1]} KB; it is ${actualKb} KB: update the README`);
  }

  // ---------------------------------------------------------------------------------------------- 3
  step('types', 'TypeScript 7 and 6 resolve the types with moduleResolution node16 and bundler');
  copy(join(repo, 'tests/package/types-check.ts'), join(work, 'types/check.ts'));
  const common = { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM', 'ESNext.Disposable'], types: [], skipLibCheck: false };
  for (const [name, opts] of [['node16', { module: 'node16', moduleResolution: 'node16' }],
    ['bundler', { module: 'preserve', moduleResolution: 'bundler' }]]) {
    const config = join(work, `types/tsconfig.${name}.json`);
    writeFileSync(config, JSON.stringify({ compilerOptions: { ...common, ...opts }, files: ['check.ts'] }, null, 2));
    for (const tsc of [rootBin('tsc'), toolBin('tsc')]) {
      const trace = run(tsc, ['-p', config, '--traceResolution'], { cwd: work, capture: true });
      const resolved = trace.match(/Module name 'ydb-wasm' was successfully resolved to '([^']+)'/);
      if (!resolved || resolved[1] !== join(installed, 'js/index.d.ts')) {
        fail(`${name} with ${tsc}: ydb-wasm resolved to ${resolved?.[1]}, not the installed js/index.d.ts`);
      }
      console.log(`${name}, ${run(tsc, ['--version'], { capture: true }).trim()}: ok`);
    }
  }

  // ---------------------------------------------------------------------------------------------- 4
  // The runtime files, as a user would have them: copied, the package imported by name.
  copy(join(repo, 'examples/node/quickstart.mjs'), join(work, 'quickstart.mjs'));
  for (const f of ['node.mjs', 'bun.mjs', 'first-answer.mjs', 'scenario.mjs', 'credentials-scenario.mjs', 'workerd.mjs']) {
    copy(join(repo, 'tests/runtimes', f), join(work, 'tests/runtimes', f));
  }
  // workerd.mjs starts a dev server of its own (with the admin endpoint, to count calls).
  copy(join(repo, 'tests/node/devserver.mjs'), join(work, 'tests/node/devserver.mjs'));
  copyImportingPackage('tests/runtimes/deno.mjs', join(work, 'tests/runtimes/deno.mjs'), '../../js/deno.mjs');
  writeFileSync(join(work, 'which-entry.mjs'), "console.log(import.meta.resolve('ydb-wasm'));\n");
  const env = { YDB_ENDPOINT: endpoint };
  const expectEntry = (runtime, out, entry) => {
    const got = out.trim().split('\n').pop();
    if (got !== `file://${join(installed, entry)}`) fail(`${runtime} resolves ydb-wasm to ${got}, not the installed ${entry}`);
    console.log(`${runtime}: ydb-wasm → node_modules/ydb-wasm/${entry}`);
  };

  step('node', 'quick start and scenario');
  expectEntry('node', run('node', ['which-entry.mjs'], { cwd: work, capture: true }), 'dist/node.mjs');
  run('node', ['quickstart.mjs'], { cwd: work, env });
  run('node', ['tests/runtimes/node.mjs'], { cwd: work, env });

  step('deno', 'quick start and scenario (--node-modules-dir=manual: no npm: download)');
  const deno = (file, perms) => run(rootBin('deno'), ['run', '--node-modules-dir=manual', ...perms, file],
    { cwd: work, env, capture: true });
  const denoPerms = ['--allow-net=127.0.0.1', `--allow-read=${work}`, '--allow-env'];
  expectEntry('deno', deno('which-entry.mjs', []), 'dist/deno.mjs');
  process.stdout.write(deno('quickstart.mjs', denoPerms));
  process.stdout.write(deno('tests/runtimes/deno.mjs', denoPerms));

  step('bun', 'quick start and scenario');
  expectEntry('bun', run(toolBin('bun'), ['which-entry.mjs'], { cwd: work, capture: true }), 'dist/node.mjs');
  run(toolBin('bun'), ['quickstart.mjs'], { cwd: work, env });
  run(toolBin('bun'), ['tests/runtimes/bun.mjs'], { cwd: work, env });

  // examples/worker as a user would have it: copied into src/ (one level deeper, so its scenario import
  // gains a ../), the package imported by name; bundled by esbuild, then by wrangler.
  copyImportingPackage('examples/worker/worker.mjs', join(work, 'examples/worker/src/worker.mjs'), '../../js/worker.mjs');
  const workerSrc = join(work, 'examples/worker/src/worker.mjs');
  writeFileSync(workerSrc, readFileSync(workerSrc, 'utf8').replaceAll("'../../tests/runtimes/", "'../../../tests/runtimes/"));
  const exampleConfig = readFileSync(join(repo, 'examples/worker/config.capnp'), 'utf8');
  const workerEnv = {
    ...env,
    WORKERD: rootBin('workerd'),
    YDB_DEVSERVER_BIN: process.env.YDB_DEVSERVER_BIN ?? join(repo, 'target/debug/ydb-devserver'),
  };

  step('workerd', 'examples/worker bundled by esbuild with the workerd condition, driven by tests/runtimes/workerd.mjs');
  run(toolBin('esbuild'), [workerSrc, '--bundle', '--format=esm', '--platform=neutral', '--conditions=workerd,worker,browser',
    // The runtime's own modules (`cloudflare:workers`, for the module-scope env) stay imports, as wrangler leaves them.
    '--external:cloudflare:*', '--loader:.wasm=copy', '--asset-names=[name]', `--outdir=${join(work, 'examples/worker/esbuild')}`,
    '--log-level=warning'], { cwd: work });
  serveWorkerBundle('esbuild');
  run('node', ['tests/runtimes/workerd.mjs'], { cwd: work, env: workerEnv });

  step('wrangler', 'the same worker bundled by wrangler deploy --dry-run, in workerd');
  const compatibilityDate = exampleConfig.match(/compatibilityDate = "([^"]+)"/)?.[1];
  if (!compatibilityDate) fail('examples/worker/config.capnp has no compatibilityDate; update this test');
  writeFileSync(join(work, 'examples/worker/wrangler.toml'), `name = "ydb-wasm-example"
main = "src/worker.mjs"
compatibility_date = "${compatibilityDate}"
compatibility_flags = ["nodejs_compat"]
`);
  run(toolBin('wrangler'), ['deploy', '--dry-run', '--outdir', 'wrangler', '--config', 'wrangler.toml'],
    { cwd: join(work, 'examples/worker'), env: { WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1' } });
  serveWorkerBundle('wrangler');
  run('node', ['tests/runtimes/workerd.mjs'], { cwd: work, env: workerEnv });

  /**
   * Points examples/worker/config.capnp (the example's config, which tests/runtimes/workerd.mjs serves) at
   * the bundle in examples/worker/<dir>: its one script and the wasm it imports as a module next to it.
   */
  function serveWorkerBundle(dir) {
    const files = readdirSync(join(work, 'examples/worker', dir));
    const scripts = files.filter((f) => f.endsWith('.js'));
    const wasms = files.filter((f) => f.endsWith('.wasm'));
    if (scripts.length !== 1 || wasms.length !== 1) fail(`${dir} wrote ${files}, expected one script and the wasm`);
    const [bundle, wasmFile] = [`${dir}/${scripts[0]}`, `${dir}/${wasms[0]}`];
    const text = readFileSync(join(work, 'examples/worker', bundle), 'utf8');
    if (!new RegExp(`from ["']\\./${wasms[0].replace(/\./g, '\\.')}["']`).test(text)) {
      fail(`the ${dir} bundle does not import ${wasms[0]} as a module next to it`);
    }
    const modules = /modules = \[[^\]]*\],/;
    if (!modules.test(exampleConfig)) fail('examples/worker/config.capnp has no `modules = [...]` list; update this test');
    writeFileSync(join(work, 'examples/worker/config.capnp'), exampleConfig.replace(modules, `modules = [
    (name = "${bundle}", esModule = embed "${bundle}"),
    (name = "${wasmFile}", wasm = embed "${wasmFile}"),
  ],`));
    console.log(`${dir}: ${bundle} + ${wasmFile}`);
  }

  step('chromium', 'examples/browser bundled by Vite, driven by tests/runtimes/chromium.mjs');
  copy(join(repo, 'examples/browser/index.html'), join(work, 'browser-src/examples/browser/index.html'));
  copyImportingPackage('examples/browser/main.mjs', join(work, 'browser-src/examples/browser/main.mjs'), '../../js/browser.mjs');
  for (const f of ['scenario.mjs', 'credentials-scenario.mjs']) {
    copy(join(repo, 'tests/runtimes', f), join(work, 'browser-src/tests/runtimes', f));
  }
  // tests/runtimes/chromium.mjs serves its own ../../ and opens examples/browser/index.html there.
  const site = join(work, 'site');
  run(toolBin('vite'), ['build', join(work, 'browser-src/examples/browser'), '--base', './', '--outDir',
    join(site, 'examples/browser'), '--emptyOutDir', '--logLevel', 'warn'], { cwd: work });
  const assets = readdirSync(join(site, 'examples/browser/assets'));
  if (!assets.some((f) => f.endsWith('.wasm'))) fail(`Vite emitted no wasm asset (${assets}): the browser entry's new URL() was not followed`);
  for (const f of ['chromium.mjs', 'webdriver.mjs']) copy(join(repo, 'tests/runtimes', f), join(site, 'tests/runtimes', f));
  run('node', [join(site, 'tests/runtimes/chromium.mjs')], { cwd: work, env });

  step('done');
  timings.pop();
  console.log(`seconds: ${timings.map((t) => `${t.name} ${(t.ms / 1000).toFixed(1)}`).join(', ')}`);
  console.log(`${packed.filename} (${actualKb} KB, ${packed.entryCount} files) passed in Node, Deno, Bun, workerd (esbuild, wrangler) and Chromium (Vite)`);
} finally {
  if (process.env.KEEP_PACKAGE_TEST) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

/** Every file under dir, relative, sorted. */
function listFiles(dir, prefix = '') {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)])).sort();
}

/** The files package.json points at: every string in `exports` (all conditions), `main`, `types`. */
function entryTargets(manifest) {
  const out = [];
  const walk = (v) => (typeof v === 'string' ? out.push(v) : v && Object.values(v).forEach(walk));
  walk(manifest.exports);
  walk(manifest.main);
  walk(manifest.types);
  return [...new Set(out.map((p) => relative('.', p)))];
}

/** The files reached from the entries through relative module and asset references. */
function reachable(dir, entries) {
  const seen = new Set();
  const refs = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from '…', export * from '…'
    /\bimport\s*['"]([^'"]+)['"]/g, // import '…'
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('…')
    /\/\/\/\s*<reference\s+path=['"]([^'"]+)['"]/g, // /// <reference path="…"/>
  ];
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!existsSync(join(dir, file)) || !/\.(m?js|d\.ts)$/.test(file)) return;
    const text = readFileSync(join(dir, file), 'utf8');
    for (const re of refs) {
      for (const [, spec] of text.matchAll(re)) {
        if (spec.startsWith('.')) visit(relative(dir, resolve(dir, dirname(file), spec)));
      }
    }
    // new URL('…', import.meta.url): a URL relative to the module (a bare name is relative too).
    for (const [, spec] of text.matchAll(/\bnew URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(spec)) visit(relative(dir, resolve(dir, dirname(file), spec)));
    }
  };
  entries.forEach(visit);
  return seen;
}
