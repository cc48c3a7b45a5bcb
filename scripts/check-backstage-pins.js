#!/usr/bin/env node
// Checks (or with --fix, rewrites) every @backstage/* dependency of every workspace package against
// Backstage release 1.55.0. Private packages (the portal, the sandbox, the tests) and every
// devDependency use the exact release version: caret ranges drift past the release and broke a
// trial start (CONTRIBUTING.md). The published packages' dependencies and peerDependencies use
// a caret range from the release version instead, so an adopter's portal on any later 1.x-compatible
// release shares one copy of each package rather than being forced onto ours.
//
// The release's own packages depend on each other with caret ranges too, which pull in newer
// copies (core-plugin-api 1.13.0 next to 1.12.10 broke the app's sidebar with "App context is
// not available"). So the root `resolutions` pin every @backstage/* package of the release that
// is installed, and yarn.lock must hold no other version of them.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const release = require('./backstage-release-1.55.0.json');
const pinned = new Map(release.packages.map(p => [p.name, p.version]));
const fix = process.argv.includes('--fix');

const manifests = ['package.json'];
for (const dir of ['packages', 'plugins']) {
  const base = path.join(root, dir);
  if (!fs.existsSync(base)) continue;
  for (const name of fs.readdirSync(base)) {
    const file = path.join(dir, name, 'package.json');
    if (fs.existsSync(path.join(root, file))) manifests.push(file);
  }
}

const problems = [];
for (const file of manifests) {
  const full = path.join(root, file);
  const pkg = JSON.parse(fs.readFileSync(full, 'utf8'));
  let changed = false;
  const published = pkg.private !== true && file !== 'package.json';
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (!name.startsWith('@backstage/') || range.startsWith('workspace:'))
        continue;
      const exact = pinned.get(name);
      const want =
        exact && published && field !== 'devDependencies' ? `^${exact}` : exact;
      if (!want) {
        problems.push(
          `${file}: ${name}@${range} is not part of Backstage release ${release.releaseVersion}`,
        );
      } else if (range !== want) {
        if (fix) {
          pkg[field][name] = want;
          changed = true;
        } else {
          problems.push(
            `${file}: ${name} is "${range}"; release ${
              release.releaseVersion
            } wants "${want}" in ${field}${
              published ? ' of a published package' : ''
            }`,
          );
        }
      }
    }
  }
  if (changed) fs.writeFileSync(full, `${JSON.stringify(pkg, null, 2)}\n`);
}

// Every release package in yarn.lock is resolved to the release version, and only to it.
const lockfile = fs.readFileSync(path.join(root, 'yarn.lock'), 'utf8');
const locked = new Map(); // name -> Set of versions
for (const block of lockfile.split(/\n\n/)) {
  const key = /^"?(@backstage\/[^@"]+)@/m.exec(block);
  const version = /^ {2}version: "?([^"\n]+)"?$/m.exec(block);
  if (!key || !version || block.includes('@workspace:')) continue;
  if (!locked.has(key[1])) locked.set(key[1], new Set());
  locked.get(key[1]).add(version[1]);
}
const rootFile = path.join(root, 'package.json');
const rootPkg = JSON.parse(fs.readFileSync(rootFile, 'utf8'));
const resolutions = { ...(rootPkg.resolutions ?? {}) };
let resolutionsChanged = false;
for (const [name, versions] of [...locked].sort(([a], [b]) =>
  a.localeCompare(b),
)) {
  const want = pinned.get(name);
  if (!want) continue;
  if (resolutions[name] !== want) {
    if (fix) {
      resolutions[name] = want;
      resolutionsChanged = true;
    } else {
      problems.push(
        `package.json: resolutions must pin ${name} to "${want}" (release ${release.releaseVersion})`,
      );
    }
  }
  const other = [...versions].filter(v => v !== want);
  if (other.length && !fix)
    problems.push(
      `yarn.lock: ${name} resolves to ${other.join(
        ', ',
      )} besides the release's ${want}; run yarn install`,
    );
}
if (resolutionsChanged) {
  rootPkg.resolutions = Object.fromEntries(
    Object.entries(resolutions).sort(([a], [b]) => a.localeCompare(b)),
  );
  fs.writeFileSync(rootFile, `${JSON.stringify(rootPkg, null, 2)}\n`);
  console.log('backstage pins: root resolutions rewritten; run yarn install');
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `backstage pins: ${manifests.length} package.json files match release ${release.releaseVersion}`,
);
