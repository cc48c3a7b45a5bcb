#!/usr/bin/env node
/* eslint-disable no-console */
// Measures the frontend plugin's own JavaScript: @pg-backup/backstage-plugin-pg-backup and the parts of
// @pg-backup/backstage-plugin-pg-backup-common it uses, bundled and minified the way the app bundles them,
// with React, Backstage, Material UI and react-use left out (the app ships them anyway). Prints
// the minified and gzipped size of the whole plugin, every lazy chunk included. The target is
// 150 KB gzipped.
'use strict';
const path = require('path');
const zlib = require('zlib');

const root = path.resolve(__dirname, '..');
const esbuild = require(require.resolve('esbuild', {
  paths: [path.dirname(require.resolve('@backstage/cli/package.json'))],
}));

const external = [
  'react',
  'react-dom',
  'react-router',
  'react-router-dom',
  'react/jsx-runtime',
  '@backstage/*',
  '@material-ui/*',
  'react-use',
  'react-use/*',
];

async function size(entry, name) {
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: root, loader: 'tsx' },
    bundle: true,
    minify: true,
    format: 'esm',
    jsx: 'automatic',
    target: 'es2022',
    write: false,
    external,
    logLevel: 'error',
  });
  const code = Buffer.concat(
    result.outputFiles.map(f => Buffer.from(f.contents)),
  );
  const gzipped = zlib.gzipSync(code, { level: 9 }).length;
  console.log(
    `${name}: ${(code.length / 1024).toFixed(1)} KB minified, ${(
      gzipped / 1024
    ).toFixed(1)} KB gzipped`,
  );
}

async function main() {
  const plugin = 'plugins/pg-backup/src';
  await size(
    [
      `export * from './${plugin}/index.ts';`,
      `export { default as feature } from './${plugin}/alpha.tsx';`,
      `export * from './${plugin}/components/EntityPgBackupHealthCard';`,
      `export * from './${plugin}/components/EntityPgBackupContent';`,
      `export * from './${plugin}/components/PgBackupFleetPage';`,
      `export * from './${plugin}/components/BackupPicker';`,
      `export * from './${plugin}/components/BackupPicker/formField';`,
    ].join('\n'),
    'whole plugin (all chunks)',
  );
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
