import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

describe('openapi.yaml', () => {
  it('documents exactly the routes the router serves', () => {
    const spec = parse(
      fs.readFileSync(path.join(__dirname, 'openapi.yaml'), 'utf8'),
    );
    const documented = Object.entries(spec.paths as Record<string, object>)
      .flatMap(([route, item]) =>
        Object.keys(item)
          .filter(k => ['get', 'post', 'put', 'patch', 'delete'].includes(k))
          .map(method => `${method} ${route.replace(/\{(\w+)\}/g, ':$1')}`),
      )
      .sort();
    const routes = path.join(__dirname, '../routes');
    const source = fs
      .readdirSync(routes)
      .filter(file => file.endsWith('Routes.ts'))
      .map(file => fs.readFileSync(path.join(routes, file), 'utf8'))
      .join('\n');
    const served = [
      ...source.matchAll(/router\.(get|post|put|patch|delete)\(\s*'([^']+)'/g),
    ]
      .map(m => `${m[1]} ${m[2]}`)
      .sort();
    expect(served.length).toBeGreaterThan(5);
    expect(documented).toEqual(served);
  });
});
