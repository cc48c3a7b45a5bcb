import { jsonPatch, mergePatch, strategicMergePatch } from './patches';

describe('mergePatch', () => {
  it('merges objects, replaces lists and deletes with null', () => {
    expect(
      mergePatch(
        { a: { b: 1, c: 2 }, l: [1, 2] },
        { a: { b: null, d: 3 }, l: [3] },
      ),
    ).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });
});

describe('strategicMergePatch', () => {
  const spec = {
    containers: [
      { name: 'a', image: 'x', env: [{ name: 'K', value: '1' }] },
      { name: 'b', image: 'y' },
    ],
  };
  it('merges lists by their Kubernetes merge key', () => {
    expect(
      strategicMergePatch(spec, {
        containers: [{ name: 'a', env: [{ name: 'L', value: '2' }] }],
      }),
    ).toEqual({
      containers: [
        {
          name: 'a',
          image: 'x',
          env: [
            { name: 'K', value: '1' },
            { name: 'L', value: '2' },
          ],
        },
        { name: 'b', image: 'y' },
      ],
    });
  });
  it('honours $patch: delete and replace', () => {
    expect(
      strategicMergePatch(spec, {
        containers: [{ name: 'b', $patch: 'delete' }],
      }),
    ).toEqual({ containers: [spec.containers[0]] });
    expect(
      strategicMergePatch(spec, {
        containers: [{ $patch: 'replace' }, { name: 'c', image: 'z' }],
      }),
    ).toEqual({ containers: [{ name: 'c', image: 'z' }] });
  });
  it('rejects list items without the merge key', () => {
    expect(() =>
      strategicMergePatch(spec, { containers: [{ image: 'z' }] }),
    ).toThrow(/merge key "name"/);
  });
});

describe('jsonPatch', () => {
  it('applies add, remove, replace, move, copy and test', () => {
    const doc = {
      spec: { replicas: 3, list: ['a'] },
      metadata: { labels: { 'app.kubernetes.io/name': 'x' } },
    };
    expect(
      jsonPatch(doc, [
        { op: 'replace', path: '/spec/replicas', value: 0 },
        { op: 'add', path: '/spec/list/-', value: 'b' },
        { op: 'copy', from: '/spec/replicas', path: '/spec/was' },
        { op: 'move', from: '/spec/was', path: '/spec/now' },
        { op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' },
        { op: 'test', path: '/spec/now', value: 0 },
      ]),
    ).toEqual({
      spec: { replicas: 0, list: ['a', 'b'], now: 0 },
      metadata: { labels: {} },
    });
    expect(doc.spec.replicas).toBe(3);
  });
  it('refuses a body that is not an array (400) and failed tests or missing paths (422)', () => {
    expect(() => jsonPatch({}, { spec: {} })).toThrow(
      expect.objectContaining({ code: 400 }),
    );
    expect(() =>
      jsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]),
    ).toThrow(expect.objectContaining({ code: 422 }));
    expect(() => jsonPatch({ a: 1 }, [{ op: 'remove', path: '/b' }])).toThrow(
      expect.objectContaining({ code: 422 }),
    );
  });
});
