#!/usr/bin/env node
// Checks (or with --fix, rewrites) every @backstage/* dependency of every workspace package to the
// exact version published in Backstage release 1.55.0. Caret ranges drift past the release and
// broke a trial start (see README), so anything but the exact release version is an error.
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
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
    for (const [name, range] of Object.entries(pkg[field] ?? {})) {
      if (!name.startsWith('@backstage/') || range.startsWith('workspace:'))
        continue;
      const want = pinned.get(name);
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
            `${file}: ${name} is "${range}", release ${release.releaseVersion} pins "${want}"`,
          );
        }
      }
    }
  }
  if (changed) fs.writeFileSync(full, `${JSON.stringify(pkg, null, 2)}\n`);
}

if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `backstage pins: ${manifests.length} package.json files match release ${release.releaseVersion}`,
);
