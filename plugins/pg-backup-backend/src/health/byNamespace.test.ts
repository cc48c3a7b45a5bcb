import { Entity } from '@backstage/catalog-model';
import { byNamespace } from './FleetRefresher';

const entity = (
  name: string,
  namespace?: string,
  cluster?: string,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name,
    annotations: {
      ...(namespace ? { 'pg-backup.io/namespace': namespace } : {}),
      ...(cluster ? { 'pg-backup.io/cluster': cluster } : {}),
    },
  },
});

describe('byNamespace', () => {
  it('orders a fleet cluster by cluster and namespace by namespace, keeping catalog order inside each', () => {
    const entities = [
      entity('a', 'ns-1', 'east'),
      entity('b', 'ns-0', 'west'),
      entity('c', 'ns-1', 'east'),
      entity('d', 'ns-0', 'east'),
      entity('e', 'ns-0', 'west'),
      entity('f', 'ns-1'),
      entity('g'),
    ];
    expect(byNamespace(entities).map(i => entities[i].metadata.name)).toEqual([
      'g',
      'f',
      'd',
      'a',
      'c',
      'b',
      'e',
    ]);
  });

  it('keeps every index exactly once', () => {
    const entities = Array.from({ length: 500 }, (_, i) =>
      entity(`db-${i}`, `ns-${i % 7}`, `c-${i % 3}`),
    );
    const order = byNamespace(entities);
    expect([...order].sort((x, y) => x - y)).toEqual(entities.map((_, i) => i));
  });
});
