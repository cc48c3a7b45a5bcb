#!/usr/bin/env node
/* eslint-disable no-console */
// Builds and packs every published package into tarballs, as `npm publish` would ship them, then
// checks each tarball: it lists the files, refuses any file an adopter does not need (sources,
// tests, test utilities), requires every entry point the manifest names, and refuses a manifest
// that still says `workspace:`, points into src/, or forces exact @backstage/* versions.
//
//   node scripts/pack-packages.js [--out DIR] [--skip-build]
//
// Default DIR: .packs/ (git-ignored). Prints one line per check and, last, `N passed, N failed`.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = path.resolve(
  outIndex >= 0 ? args[outIndex + 1] : path.join(root, '.packs'),
);
const skipBuild = args.includes('--skip-build');

/** The published packages, with what each tarball may hold besides package.json and README.md. */
const PUBLISHED = [
  { dir: 'plugins/pg-backup-common', allowed: [/^dist\//] },
  {
    dir: 'plugins/pg-backup-backend',
    allowed: [
      /^dist\//,
      /^migrations\/\d{14}_[a-z0-9_]+\.js$/,
      /^config\.schema\.json$/,
    ],
  },
  { dir: 'plugins/pg-backup', allowed: [/^dist\//] },
  {
    dir: 'plugins/scaffolder-backend-module-pg-backup',
    allowed: [
      /^dist\//,
      /^config\.schema\.json$/,
      /^templates\/[a-z-]+(\/template)?\.yaml$/,
    ],
  },
  {
    dir: 'packages/backup-agent',
    allowed: [/^dist\//, /^bin\/pg-backup-agent$/],
  },
];
/** Nothing of this kind belongs in a tarball, whatever folder it is in. */
const NEVER = [
  /(^|\/)src\//,
  /\.test\./,
  /__testUtils__/,
  /(^|\/)(bench|scripts)\//,
  /\.tsbuildinfo$/,
];

const run = (cmd, cmdArgs, cwd = root) =>
  execFileSync(cmd, cmdArgs, {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });

let passed = 0;
let failed = 0;
const check = (name, problems) => {
  if (problems.length === 0) {
    passed += 1;
    console.log(`PASS ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name}\n  ${problems.join('\n  ')}`);
  }
};

if (!skipBuild) {
  // The repository's type check first: it writes the declarations (dist-types/) the package
  // builds bundle, so it is the test command's type check too.
  try {
    run('yarn', ['tsc']);
    check('type-check (yarn tsc)', []);
  } catch (error) {
    check('type-check (yarn tsc)', [
      String(error.stdout || error.message).trim(),
    ]);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(1);
  }
  for (const { dir } of PUBLISHED) run('yarn', ['build'], path.join(root, dir));
}
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });

for (const { dir, allowed } of PUBLISHED) {
  const source = JSON.parse(
    fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'),
  );
  const tarball = path.join(
    outDir,
    `${source.name.replace(/^@/, '').replace('/', '-')}.tgz`,
  );
  run('yarn', ['pack', '--out', tarball], path.join(root, dir));

  const files = run('tar', ['tzf', tarball])
    .split('\n')
    .filter(f => f && !f.endsWith('/'))
    .map(f => f.replace(/^package\//, ''))
    .sort();
  const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'pg-backup-pack-'));
  run('tar', ['xzf', tarball, '-C', unpacked]);
  const pkg = JSON.parse(
    fs.readFileSync(path.join(unpacked, 'package', 'package.json'), 'utf8'),
  );

  console.log(
    `${source.name}: ${path.relative(root, tarball)}, ${files.length} files`,
  );
  const folders = new Map();
  for (const file of files) {
    const top = file.includes('/') ? `${file.split('/')[0]}/` : file;
    folders.set(top, (folders.get(top) ?? 0) + 1);
  }
  for (const [top, count] of folders)
    console.log(`  ${top}${count > 1 ? ` (${count} files)` : ''}`);

  const problems = [];
  for (const file of files) {
    const expected =
      file === 'package.json' ||
      file === 'README.md' ||
      allowed.some(a => a.test(file));
    if (!expected || NEVER.some(n => n.test(file)))
      problems.push(`ships ${file}, which an adopter does not need`);
  }
  if (!files.includes('README.md')) problems.push('has no README.md');

  const entryPoints = [pkg.main, pkg.types, pkg.module];
  const collect = value => {
    // Skips the `backstage` feature-type markers (`@backstage/BackendFeature`) in the exports.
    if (typeof value === 'string') {
      if (!value.startsWith('@')) entryPoints.push(value);
    } else if (value && typeof value === 'object')
      Object.values(value).forEach(collect);
  };
  collect(pkg.exports);
  collect(pkg.bin);
  if (pkg.configSchema) entryPoints.push(pkg.configSchema);
  for (const entry of entryPoints.filter(Boolean)) {
    const file = entry.replace(/^\.\//, '');
    if (file.startsWith('src/'))
      problems.push(`entry point ${entry} points into src/`);
    else if (!files.includes(file))
      problems.push(`entry point ${entry} is not in the tarball`);
  }
  if (pkg.private) problems.push('is private');
  for (const field of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
  ]) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (range.startsWith('workspace:'))
        problems.push(`${field}.${name} is still "${range}"`);
      if (name.startsWith('@backstage/') && !range.startsWith('^'))
        problems.push(
          `${field}.${name} is "${range}": adopters need a caret range`,
        );
    }
  }
  for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
    if (
      name.startsWith('@pg-backup/') &&
      !PUBLISHED.some(p => readName(p.dir) === name)
    )
      problems.push(`depends on ${name}@${range}, which is not published`);
  }
  fs.rmSync(unpacked, { recursive: true, force: true });
  check(`tarball ${source.name}`, problems);
}

function readName(dir) {
  return JSON.parse(
    fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'),
  ).name;
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
